/// Reads typed values out of a ``YAMLNode`` tree against a schema, collecting every error
/// (not just the first) as a ``Diagnostic`` with its position.
package struct YAMLReader: Sendable {
    package private(set) var diagnostics: [Diagnostic] = []

    package init() {}

    package var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    package mutating func error(_ node: YAMLNode, _ message: String) {
        diagnostics.append(.error(at: node.location, message))
    }

    package mutating func error(at location: SourceLocation, _ message: String) {
        diagnostics.append(.error(at: location, message))
    }

    package mutating func warning(at location: SourceLocation, _ message: String) {
        diagnostics.append(.warning(at: location, message))
    }

    package mutating func append(contentsOf more: [Diagnostic]) { diagnostics.append(contentsOf: more) }

    /// The diagnostics sorted by position, errors and warnings interleaved as in the file.
    package var sortedDiagnostics: [Diagnostic] {
        diagnostics.enumerated().sorted {
            ($0.element.location, $0.offset) < ($1.element.location, $1.offset)
        }.map(\.element)
    }

    /// The keys of a mapping with their values, in file order; unknown keys are errors (or,
    /// with `ignoringUnknown`, skipped as snap.yaml's many other keys are).
    package mutating func fields(
        _ node: YAMLNode, what: String, allowed: [String], ignoringUnknown: Bool = false
    ) -> [String: YAMLNode]? {
        guard case .mapping(let pairs) = node.kind else {
            error(node, "expected \(what) as a mapping of keys to values, found \(node.kindDescription)")
            return nil
        }
        var result: [String: YAMLNode] = [:]
        for (key, value) in pairs {
            guard case .scalar(let name, _) = key.kind else {
                error(key, "expected a key name in \(what), found \(key.kindDescription)")
                continue
            }
            if allowed.contains(name) {
                result[name] = value
            } else if !ignoringUnknown {
                var message = "unknown key '\(name)' in \(what); expected one of: \(allowed.joined(separator: ", "))"
                if let suggestion = YAMLReader.closest(to: name, in: allowed) {
                    message += " (did you mean '\(suggestion)'?)"
                }
                error(key, message)
            }
        }
        return result
    }

    /// A mapping's entries in file order, with keys as strings.
    package mutating func entries(_ node: YAMLNode, what: String) -> [(key: String, keyNode: YAMLNode, value: YAMLNode)]? {
        guard case .mapping(let pairs) = node.kind else {
            error(node, "expected \(what) as a mapping, found \(node.kindDescription)")
            return nil
        }
        var result: [(String, YAMLNode, YAMLNode)] = []
        for (key, value) in pairs {
            guard let name = key.scalar, !key.isNull else {
                error(key, "expected a name as key in \(what), found \(key.kindDescription)")
                continue
            }
            result.append((name, key, value))
        }
        return result
    }

    /// A list's items.
    package mutating func list(_ node: YAMLNode, what: String) -> [YAMLNode]? {
        guard case .sequence(let items) = node.kind else {
            error(node, "expected \(what) as a list, found \(node.kindDescription)")
            return nil
        }
        return items
    }

    /// A non-empty scalar string (quoted or plain; a plain null is an error).
    package mutating func string(_ node: YAMLNode, what: String) -> String? {
        guard case .scalar(let text, _) = node.kind, !node.isNull else {
            error(node, "expected \(what) as a string, found \(node.kindDescription)")
            return nil
        }
        guard !text.isEmpty else {
            error(node, "\(what) must not be empty")
            return nil
        }
        return text
    }

    /// A plain integer in `range`.
    package mutating func integer(_ node: YAMLNode, what: String, in range: ClosedRange<Int>) -> Int? {
        guard let value = node.integer else {
            error(node, "expected \(what) as a whole number from \(range.lowerBound) to \(range.upperBound), found \(node.kindDescription)")
            return nil
        }
        guard range.contains(value) else {
            error(node, "\(what) must be from \(range.lowerBound) to \(range.upperBound), is \(value)")
            return nil
        }
        return value
    }

    /// Checks a file's `version:` key, which must be 1; `what` names the file kind ("policy").
    package mutating func formatVersion(_ node: YAMLNode?, in root: YAMLNode, of what: String) {
        guard let node else {
            error(root, "the \(what) file has no 'version'; add 'version: 1' at the top")
            return
        }
        guard let version = node.integer else {
            error(node, "expected the \(what) version as a number, found \(node.kindDescription); this refreshctl reads 'version: 1'")
            return
        }
        if version != 1 {
            error(node, "unsupported \(what) version \(version); this refreshctl reads 'version: 1'")
        }
    }

    /// A value that must be one of `choices`.
    package mutating func choice<T>(_ node: YAMLNode, what: String, _ choices: [(String, T)]) -> T? {
        guard let text = string(node, what: what) else { return nil }
        if let match = choices.first(where: { $0.0 == text }) { return match.1 }
        var message = "unknown \(what) '\(text)'; expected one of: \(choices.map(\.0).joined(separator: ", "))"
        if let suggestion = YAMLReader.closest(to: text, in: choices.map(\.0)) {
            message += " (did you mean '\(suggestion)'?)"
        }
        error(node, message)
        return nil
    }

    /// A duration in the given syntax.
    package mutating func duration(_ node: YAMLNode, what: String, syntax: TimeSpan.Syntax) -> TimeSpan? {
        guard case .scalar(let text, _) = node.kind, !node.isNull else {
            error(node, "expected \(what) as a duration such as 30s, found \(node.kindDescription)")
            return nil
        }
        switch TimeSpan.parse(text, syntax: syntax) {
        case .success(let span): return span
        case .failure(let failure):
            error(node, "\(what): \(failure.message)")
            return nil
        }
    }

    /// A snap name.
    package mutating func snapName(_ node: YAMLNode, what: String) -> SnapName? {
        guard let text = scalarText(node, what: what) else { return nil }
        if let problem = SnapName.problem(with: text) {
            error(node, "invalid \(what) '\(text)': \(problem)")
            return nil
        }
        return SnapName(text)
    }

    /// An app name.
    package mutating func appName(_ node: YAMLNode, what: String) -> AppName? {
        guard let text = scalarText(node, what: what) else { return nil }
        if let problem = AppName.problem(with: text) {
            error(node, "invalid \(what) '\(text)': \(problem)")
            return nil
        }
        return AppName(text)
    }

    /// A revision (`12` or `x1`).
    package mutating func revision(_ node: YAMLNode, what: String) -> Revision? {
        guard let text = scalarText(node, what: what) else { return nil }
        if let problem = Revision.problem(with: text) {
            error(node, "invalid \(what) '\(text)': \(problem)")
            return nil
        }
        return Revision(text)
    }

    /// An RFC 3339 time.
    package mutating func timestamp(_ node: YAMLNode, what: String) -> Timestamp? {
        guard let text = scalarText(node, what: what) else { return nil }
        guard let stamp = Timestamp(rfc3339: text) else {
            error(node, "invalid \(what) '\(text)'; expected an RFC 3339 time such as 2026-11-27T12:00:00Z")
            return nil
        }
        return stamp
    }

    private mutating func scalarText(_ node: YAMLNode, what: String) -> String? {
        guard case .scalar(let text, _) = node.kind, !node.isNull else {
            error(node, "expected \(what), found \(node.kindDescription)")
            return nil
        }
        return text
    }

    /// The candidate within edit distance 2 of `word`, ignoring case (`sigterm` is close to
    /// `SIGTERM`, `Kill` to `kill`), if exactly one is closest; case breaks a tie.
    static func closest(to word: String, in candidates: [String]) -> String? {
        let lowered = word.lowercased()
        let scored = candidates.map { ($0, editDistance(lowered, $0.lowercased()), editDistance(word, $0)) }.filter { $0.1 <= 2 }
        guard let best = scored.min(by: { ($0.1, $0.2) < ($1.1, $1.2) }) else { return nil }
        return scored.filter({ $0.1 == best.1 && $0.2 == best.2 }).count == 1 ? best.0 : nil
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var row = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
            }
            previous = row
        }
        return previous[b.count]
    }
}
