import Foundation
import Testing

/// The layers are targets, and the pure one stays pure: nothing in `Sources/RefreshCore` imports
/// Glibc, Foundation or another system module, so it builds anywhere and does no I/O behind
/// its callers' backs.
@Suite struct LayeringTests {
    static let forbidden = ["Glibc", "Foundation", "FoundationEssentials", "Darwin", "Musl", "Dispatch", "CRefreshSys", "RefreshHost", "RefreshIO"]

    /// `import X`, `@preconcurrency import X`, `import struct X.Y`, `@_exported import X`.
    static func imports(in text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ").map(String.init).filter { !$0.hasPrefix("@") }
            guard words.first == "import" else { return nil }
            let module = words.count > 2 && ["struct", "class", "enum", "protocol", "func", "var", "typealias"].contains(words[1]) ? words[2] : words.dropFirst().first
            return module.map { String($0.split(separator: ".")[0]) }
        }
    }

    @Test func theScannerSeesEveryFormOfImport() {
        #expect(Self.imports(in: "import Glibc\n@preconcurrency import Foundation\nimport struct Darwin.timespec\n  // import Musl\nlet x = 1\n")
            == ["Glibc", "Foundation", "Darwin"])
    }

    @Test func thePureCoreImportsNoSystemModule() throws {
        let root = URL(fileURLWithPath: packagePath("Sources/RefreshCore"))
        let files = try #require(FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil))
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
        #expect(files.count > 50)
        for file in files {
            let found = Self.imports(in: try String(contentsOf: file, encoding: .utf8))
            #expect(Set(found).isDisjoint(with: Self.forbidden), "\(file.lastPathComponent) imports \(found)")
        }
    }
}
