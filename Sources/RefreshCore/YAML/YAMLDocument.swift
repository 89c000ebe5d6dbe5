import Yams

/// Turns YAML text into a ``YAMLNode`` tree with positions, strictly.
///
/// Refuses: files over ``maximumSize``, more than one document, anchors and aliases (an alias
/// bomb expands a few lines into gigabytes), and duplicate keys (Yams reports those).
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
        do {
            let parser = try Parser(yaml: text)
            guard let root = try parser.singleRoot() else { return nil }
            // Anchors are held weakly by nodes and strongly by the parser: keep it alive.
            return try withExtendedLifetime(parser) { try convert(root, file: file) }
        } catch let error as RefreshCoreError {
            throw error
        } catch let error as YamlError {
            throw describe(error, file: file)
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
            return YAMLNode(.scalar(scalar.string, plain: scalar.style == .plain), at: here)
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

    private static func describe(_ error: YamlError, file: String) -> RefreshCoreError {
        let (mark, problem): (Mark?, String)
        switch error {
        case .scanner(_, let text, let m, _), .parser(_, let text, let m, _), .composer(_, let text, let m, _):
            (mark, problem) = (m, text)
        case .duplicatedKeysInMapping(let keys, let context):
            let names = keys.map { "'\($0)'" }.joined(separator: ", ")
            (mark, problem) = (context.mark, "duplicate key \(names) in one mapping; each key may appear only once")
        case .reader(let text, _, _, _):
            (mark, problem) = (nil, "cannot decode the file (\(text)); it must be UTF-8 text")
        default:
            (mark, problem) = (nil, "\(error)")
        }
        var message = problem
        if problem == "found undefined alias" {
            message = "YAML anchors and aliases are not allowed; write the value out in full"
        } else if !problem.hasPrefix("duplicate") && !problem.hasPrefix("cannot decode") {
            message = "invalid YAML: \(problem)"
        }
        return .invalidInput([.error(at: location(mark, file), message)])
    }
}
