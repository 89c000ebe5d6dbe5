import Yams

/// Turns YAML text into a ``YAMLNode`` tree with positions, strictly.
///
/// Refuses: files over ``maximumSize``, more than one document, anchors and aliases (an alias
/// bomb expands a few lines into gigabytes), and duplicate keys (Yams finds those; they are
/// reported where the key is repeated). A leading byte order mark is skipped, so columns count
/// from the first real character; libyaml's context ("while scanning a quoted scalar (started
/// at 3:11)") is kept in syntax errors.
public enum YAMLDocument {
    /// Inputs larger than this are refused before parsing.
    public static let maximumSize = 1 << 20

    /// Parses `text`, which came from `file`.
    /// - Returns: the root node, or `nil` for an empty document.
    /// - Throws: ``RefreshCoreError`` (`invalidInput`) with the position of the problem.
    public static func parse(_ text: String, file: String) throws(RefreshCoreError) -> YAMLNode? {
        func fail(_ line: Int, _ column: Int, _ message: String) -> RefreshCoreError {
            .invalidInput([.error(at: SourceLocation(file: file, line: line, column: column), message)])
        }
        if text.utf8.count > maximumSize {
            throw fail(1, 1, "file is \(text.utf8.count) bytes, more than the 1 MiB (\(maximumSize) bytes) allowed; split it or remove what is not needed")
        }
        // libyaml would count a byte order mark as a column of the first line.
        var text = text
        if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
        do {
            let parser = try Parser(yaml: text)
            guard let root = try parser.singleRoot() else { return nil }
            // Anchors are held weakly by nodes and strongly by the parser: keep it alive.
            return try withExtendedLifetime(parser) { try convert(root, file: file) }
        } catch let error as RefreshCoreError {
            throw error
        } catch let error as YamlError {
            throw describe(error, text: text, file: file)
        } catch {
            throw fail(1, 1, "cannot read YAML: \(error)")
        }
    }

    private static func location(_ mark: Mark?, _ file: String) -> SourceLocation {
        SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    /// Converts depth first in document order, so an anchor is met before any alias to it.
    private static func convert(_ node: Node, file: String) throws(RefreshCoreError) -> YAMLNode {
        let here = location(node.mark, file)
        if node.anchor != nil {
            throw .invalidInput([.error(at: here, "YAML anchors and aliases are not allowed; write the value out in full")])
        }
        switch node {
        case .scalar(let scalar):
            return YAMLNode(.scalar(scalar.string, plain: scalar.style == .plain && !isTagged(scalar)), at: here)
        case .mapping(let mapping):
            var pairs: [(key: YAMLNode, value: YAMLNode)] = []
            pairs.reserveCapacity(mapping.count)
            for (key, value) in mapping {
                pairs.append((try convert(key, file: file), try convert(value, file: file)))
            }
            return YAMLNode(.mapping(pairs), at: here)
        case .sequence(let sequence):
            var items: [YAMLNode] = []
            items.reserveCapacity(sequence.count)
            for item in sequence { items.append(try convert(item, file: file)) }
            return YAMLNode(.sequence(items), at: here)
        case .alias:
            throw .invalidInput([.error(at: here, "YAML anchors and aliases are not allowed; write the value out in full")])
        }
    }

    /// Whether `scalar` carries an explicit tag (`!!str 3`, `! 3`), which makes it what the tag
    /// says rather than what its text looks like.
    ///
    /// An untagged scalar has the empty (implicit) tag, except that Yams resolves the tag of a
    /// mapping key in place when it hashes the key for its duplicate check; such a key reads
    /// as untagged when its tag is the one its text resolves to.
    private static func isTagged(_ scalar: Node.Scalar) -> Bool {
        let tag = scalar.tag.rawValue
        if tag.isEmpty { return false }
        return tag != Resolver.default.resolveTag(of: Node(scalar.string)).rawValue
    }

    private static func position(_ mark: Mark) -> String { "\(mark.line):\(mark.column)" }

    private static func describe(_ error: YamlError, text: String, file: String) -> RefreshCoreError {
        func fail(_ mark: Mark?, _ message: String) -> RefreshCoreError {
            .invalidInput([.error(at: location(mark, file), message)])
        }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            if problem == "found undefined alias" {
                return fail(mark, "YAML anchors and aliases are not allowed; write the value out in full")
            }
            if problem.hasPrefix("Maximum nesting level reached") {
                return fail(mark, "the YAML is nested too deeply (more than \(maximumNesting) levels); flatten the structure")
            }
            if problem == "but found another document" {
                return fail(mark, "invalid YAML: expected a single document in the stream, but found another document; remove the '---' line and what follows it, or put each document in a file of its own")
            }
            guard let context else { return fail(mark, "invalid YAML: \(problem)") }
            return fail(mark, "invalid YAML: \(context.text) (started at \(position(context.mark))): \(problem)")
        case .duplicatedKeysInMapping(let keys, let context):
            let key = keys.first ?? ""
            let others = keys.dropFirst().map { "'\($0)'" }.joined(separator: ", ")
            let also = others.isEmpty ? "" : " (\(others) \(keys.count == 2 ? "is" : "are") repeated too)"
            if let repeated = DuplicateKeyFinder.repetition(of: key, firstAt: (context.mark.line, context.mark.column), in: text) {
                let here = SourceLocation(file: file, line: repeated.line, column: repeated.column)
                return .invalidInput([.error(at: here, "duplicate key '\(key)' (first at \(position(context.mark))); each key may appear only once in a mapping\(also)")])
            }
            return fail(context.mark, "duplicate key '\(key)' in one mapping (first written at \(position(context.mark))); each key may appear only once in a mapping\(also)")
        case .reader(let problem, _, _, _):
            return fail(nil, "cannot decode the file (\(problem)); it must be UTF-8 text")
        default:
            return fail(nil, "cannot read YAML: \(error)")
        }
    }

    /// libyaml's nesting limit (`MAX_NESTING_LEVEL` in its parser), for the message.
    static let maximumNesting = 1000
}
