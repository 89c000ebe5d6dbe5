import Foundation
import Testing
@testable import RefreshCore

#if canImport(Glibc)
import Glibc
#endif

/// Shell completion as a user gets it: the bash script refreshctl generates, sourced by a real
/// bash, completes YAML files for `--policy`, folders for `--root` and the installed snaps
/// (under that `--root`) for NAME; the zsh and fish scripts ask for the same.
@Suite(.timeLimit(.minutes(2))) struct CompletionTests {
    /// A folder with a root holding three snaps (and things that are no snaps), YAML files, a
    /// text file and a sub-folder.
    static func makeTree() throws -> String {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("refreshcore-completion-\(UUID().uuidString)").path
        let fm = FileManager.default
        for directory in ["host/snap/vlc/10", "host/snap/vlc/12", "host/snap/vlc/x1", "host/snap/firefox/4100", "host/snap/my-db/7",
                          "host/snap/Not_A_Snap", "host/snap/.hidden", "configs"] {
            try fm.createDirectory(atPath: "\(base)/\(directory)", withIntermediateDirectories: true)
        }
        try fm.createSymbolicLink(atPath: "\(base)/host/snap/vlc/current", withDestinationPath: "10")
        try "not a snap\n".write(toFile: "\(base)/host/snap/README", atomically: true, encoding: .utf8)
        for file in ["policy.yaml", "other.yml", "notes.txt"] {
            try "x\n".write(toFile: "\(base)/\(file)", atomically: true, encoding: .utf8)
        }
        return base
    }

    /// What bash offers for the last word of `line` (words split on blanks; a trailing blank
    /// starts an empty word), sorted.
    static func bashCompletions(_ line: String, in directory: String) throws -> [String] {
        let product = try productURL("refreshctl")
        let script = try runProduct("refreshctl", ["--generate-completion-script", "bash"])
        #expect(script.code == 0)
        let scriptPath = directory + "/refreshctl.bash"
        try script.out.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        // Words as bash makes them: split at blanks, and at '=' (in COMP_WORDBREAKS), which
        // becomes a word of its own.
        var words: [String] = []
        for blankSeparated in line.split(separator: " ") {
            var word = ""
            for character in blankSeparated {
                if character == "=" {
                    if !word.isEmpty { words.append(word) }
                    words.append("=")
                    word = ""
                } else {
                    word.append(character)
                }
            }
            if !word.isEmpty { words.append(word) }
        }
        if line.hasSuffix(" ") { words.append("") }
        let quoted = words.map { "'\($0)'" }.joined(separator: " ")
        let driver = """
            source "\(scriptPath)"
            COMP_WORDS=(\(quoted))
            COMP_CWORD=\(words.count - 1)
            COMP_LINE='\(line)'
            COMP_POINT=${#COMP_LINE}
            _refreshctl refreshctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["--norc", "--noprofile", "-c", driver]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = product.deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.sorted()
    }

    @Test("bash: NAME completes the snaps installed under --root")
    func bashSnapNames() throws {
        let tree = try Self.makeTree()
        defer { try? FileManager.default.removeItem(atPath: tree) }
        #expect(try Self.bashCompletions("refreshctl status --root \(tree)/host ", in: tree) == ["firefox", "my-db", "vlc"])
        #expect(try Self.bashCompletions("refreshctl gc --root \(tree)/host m", in: tree) == ["my-db"])
        #expect(try Self.bashCompletions("refreshctl revert --root \(tree)/host f", in: tree) == ["firefox"])
        // --root=DIR: bash splits it in three words; argument-parser's bash script then counts
        // DIR as a positional, which still leaves a list of names to complete.
        #expect(try Self.bashCompletions("refreshctl gc --root=\(tree)/host f", in: tree) == ["firefox"])
    }

    /// Every command, present and future: what names a snap completes snap names, what names a
    /// root completes folders, what names a policy or scenario completes YAML files.
    @Test("every NAME, --root, --policy and --scenario of every command completes what it names")
    func everyCommand() throws {
        let run = try runProduct("refreshctl", ["--experimental-dump-help"])
        let help = try #require(try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any])
        let commands = try #require((help["command"] as? [String: Any])?["subcommands"] as? [[String: Any]])
        var checked: [String] = []
        for command in commands {
            let name = command["commandName"] as? String ?? "?"
            guard name != "help" else { continue }
            for argument in command["arguments"] as? [[String: Any]] ?? [] {
                let kind = (argument["completionKind"] as? [String: Any])?.keys.first
                let option = ((argument["preferredName"] as? [String: Any])?["name"] as? String)
                let valueName = argument["valueName"] as? String ?? ""
                if argument["kind"] as? String == "positional", valueName.hasPrefix("NAME") {
                    #expect(kind == "custom", "\(name) \(valueName)")
                    checked.append("\(name) \(valueName)")
                } else if option == "root" {
                    #expect(kind == "directory", "\(name) --root")
                    checked.append("\(name) --root")
                } else if option == "policy" || option == "scenario" {
                    let extensions = ((argument["completionKind"] as? [String: Any])?["file"] as? [String: Any])?["extensions"] as? [String]
                    #expect(extensions == ["yaml", "yml"], "\(name) --\(option!)")
                    checked.append("\(name) --\(option!)")
                }
            }
        }
        for expected in ["hold NAME", "unhold NAME", "history NAME", "hold --root", "unhold --root", "history --root", "apply NAME[=REV]", "gc --policy"] {
            #expect(checked.contains(expected), "\(expected) not found in \(checked)")
        }
        let tree = try Self.makeTree()
        defer { try? FileManager.default.removeItem(atPath: tree) }
        for command in ["hold", "unhold", "history"] {
            #expect(try Self.bashCompletions("refreshctl \(command) --root \(tree)/host v", in: tree) == ["vlc"], "\(command)")
        }
    }

    @Test("bash: NAME= completes that snap's revisions")
    func bashRevisions() throws {
        let tree = try Self.makeTree()
        defer { try? FileManager.default.removeItem(atPath: tree) }
        // bash splits NAME=REV at '=' and completes what follows it.
        #expect(try Self.bashCompletions("refreshctl plan --root \(tree)/host vlc=1", in: tree) == ["10", "12"])
        #expect(try Self.bashCompletions("refreshctl apply --root=\(tree)/host vlc=x", in: tree) == ["x1"])
        // zsh and fish hand over NAME= as one word.
        let run = try runProduct("refreshctl", ["---completion", "plan", "--", "positional@0", "4", "4",
                                                "refreshctl", "plan", "--root", "\(tree)/host", "vlc="])
        #expect(run.out == "vlc=10\nvlc=12\nvlc=x1\n")
    }

    @Test("bash: --policy completes YAML files and folders, --root only folders")
    func bashFiles() throws {
        let tree = try Self.makeTree()
        defer { try? FileManager.default.removeItem(atPath: tree) }
        let policies = try Self.bashCompletions("refreshctl plan --policy ", in: tree)
        #expect(policies.contains("policy.yaml") && policies.contains("other.yml") && policies.contains("configs"), "\(policies)")
        #expect(!policies.contains("notes.txt"), "\(policies)")
        let roots = try Self.bashCompletions("refreshctl status --root ", in: tree)
        #expect(roots.contains("configs") && roots.contains("host"), "\(roots)")
        #expect(!roots.contains("policy.yaml") && !roots.contains("notes.txt"), "\(roots)")
    }

    /// The custom completion itself, as every shell calls it (`---completion`).
    @Test("the completion callback lists snaps under --root, and nothing for a root without snap/")
    func callback() throws {
        let tree = try Self.makeTree()
        defer { try? FileManager.default.removeItem(atPath: tree) }
        let run = try runProduct("refreshctl", ["---completion", "ps", "--", "positional@0", "4", "1",
                                                "refreshctl", "ps", "--root", "'\(tree)/host'", "v"])
        #expect(run.code == 0)
        #expect(run.out == "vlc\n")
        let none = try runProduct("refreshctl", ["---completion", "ps", "--", "positional@0", "4", "0",
                                                 "refreshctl", "ps", "--root", tree, ""])
        #expect(none.code == 0)
        #expect(none.out.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
    }

    @Test("zsh and fish scripts complete files, folders and snap names", arguments: ["zsh", "fish"])
    func otherShells(shell: String) throws {
        let run = try runProduct("refreshctl", ["--generate-completion-script", shell])
        #expect(run.code == 0)
        let script = run.out
        #expect(script.contains("---completion plan -- positional@0"), "NAME of plan is completed by refreshctl")
        #expect(script.contains("---completion status -- positional@0"))
        switch shell {
        case "zsh":
            #expect(script.contains("_files -g") && script.contains("yaml"), "--policy completes YAML files")
            #expect(script.contains("_files -/"), "--root completes folders")
        default:
            #expect(script.contains("-l 'root'") && script.contains("(__refreshctl_complete_directories)"), "--root completes folders")
            #expect(script.contains("yaml"), "--policy completes YAML files")
        }
    }
}
