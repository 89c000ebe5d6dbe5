import Foundation
import Testing
@testable import RefreshCore

/// The README tells the truth: its synopses are refreshctl's own usage lines, its sample
/// transcripts are what the shipped examples print, and `refreshctl test` at the repository
/// root passes (the deliberately broken fixtures are not picked up).
@Suite(.timeLimit(.minutes(2))) struct ReadmeTests {
    static func readme() throws -> String {
        try String(contentsOfFile: packagePath("README.md"), encoding: .utf8)
    }

    /// The fenced code blocks of the README, each as its lines.
    static func codeBlocks(_ text: String) -> [[String]] {
        var blocks: [[String]] = []
        var current: [String]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("```") {
                if let block = current { blocks.append(block); current = nil } else { current = [] }
            } else {
                current?.append(line)
            }
        }
        return blocks
    }

    /// refreshctl's subcommands, from its help dump.
    static func subcommands() throws -> [String] {
        let run = try runProduct("refreshctl", ["--experimental-dump-help"])
        let dump = try #require(try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any])
        let command = try #require(dump["command"] as? [String: Any])
        let subcommands = try #require(command["subcommands"] as? [[String: Any]])
        return subcommands.compactMap { $0["commandName"] as? String }.filter { $0 != "help" }
    }

    /// `refreshctl COMMAND --help`'s usage line, unwrapped.
    static func usage(_ command: String) throws -> String {
        var environment = ProcessInfo.processInfo.environment
        environment["COLUMNS"] = "1000"
        let run = try runProduct("refreshctl", [command, "--help"], environment: environment)
        let line = try #require(run.out.split(separator: "\n").first { $0.hasPrefix("USAGE: ") })
        return String(line.dropFirst("USAGE: ".count))
    }

    @Test("every synopsis in the README is the command's usage line, and every command has one")
    func synopses() throws {
        let synopses = Self.codeBlocks(try Self.readme()).flatMap { $0 }
            .filter { $0.hasPrefix("refreshctl ") && ($0.contains(" [") || $0.contains(" <")) }
        var usages: [String: String] = [:]
        for command in try Self.subcommands() { usages[command] = try Self.usage(command) }
        #expect(usages.count >= 10)
        for line in synopses {
            let command = String(line.dropFirst("refreshctl ".count).prefix { $0 != " " })
            let usage = try #require(usages[command], "the README shows a synopsis of '\(command)', which refreshctl does not have: \(line)")
            #expect(line == usage, "README synopsis of \(command) differs from 'refreshctl \(command) --help'")
        }
        for (command, usage) in usages.sorted(by: { $0.key < $1.key }) {
            #expect(synopses.contains(usage), "the README has no synopsis of '\(command)'; add: \(usage)")
        }
    }

    /// Every README block that starts with `$ refreshctl ARGS` is a transcript: run in the
    /// repository root, refreshctl prints exactly the rest of the block.
    @Test("every transcript in the README is what refreshctl prints")
    func transcripts() throws {
        let transcripts = Self.codeBlocks(try Self.readme()).filter { $0.first?.hasPrefix("$ refreshctl ") == true }
        #expect(transcripts.count >= 2)
        for block in transcripts {
            let arguments = block[0].dropFirst("$ refreshctl ".count).split(separator: " ").map(String.init)
            let run = try runProduct("refreshctl", arguments)
            #expect(run.out == block.dropFirst().joined(separator: "\n") + "\n", "README transcript of 'refreshctl \(arguments.joined(separator: " "))'")
        }
    }

    @Test("refreshctl test at the repository root runs the shipped examples and passes")
    func testAtTheRoot() throws {
        let run = try runProduct("refreshctl", ["test"])
        #expect(run.code == 0, "\(run.err)")
        #expect(run.err.isEmpty)
        #expect(!run.out.contains("Fixtures"))
        #expect(run.out.contains("PASS Examples/workstation.test.yaml"))
        #expect(run.out.hasSuffix(" passed, 0 failed\n"))
    }
}
