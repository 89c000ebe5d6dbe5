/// A YAML node with its position, independent of the YAML library.
///
/// Anchors and aliases never reach this type: ``YAMLDocument`` rejects them, so a tree of
/// these nodes is as large as its text.
public struct YAMLNode: Sendable {
    /// The three shapes a YAML node has.
    public enum Kind: Sendable {
        /// A scalar's text and whether it was written plain (unquoted, not a block) and
        /// untagged: only such a scalar reads as a number, a boolean or null (`!!str 3` is text).
        case scalar(String, plain: Bool)
        case mapping([(key: YAMLNode, value: YAMLNode)])
        case sequence([YAMLNode])
    }

    public var kind: Kind
    public var location: SourceLocation

    public init(_ kind: Kind, at location: SourceLocation) {
        self.kind = kind
        self.location = location
    }

    /// The scalar's text, `nil` for collections.
    public var scalar: String? {
        if case .scalar(let text, _) = kind { return text }
        return nil
    }

    /// A plain `~`, `null`, or nothing at all.
    public var isNull: Bool {
        if case .scalar(let text, plain: true) = kind {
            return ["", "~", "null", "Null", "NULL"].contains(text)
        }
        return false
    }

    /// A plain scalar that reads as a decimal integer.
    public var integer: Int? {
        guard case .scalar(let text, plain: true) = kind else { return nil }
        var digits = Substring(text)
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int(text)
    }

    /// What kind of value this is, for "expected X, found Y" messages.
    public var kindDescription: String {
        switch kind {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let text, let plain):
            if isNull { return "nothing (null)" }
            if integer != nil { return "the number \(text)" }
            if plain, ["true", "false", "yes", "no", "True", "False"].contains(text) {
                return "the boolean \(text)"
            }
            return "the string '\(text)'"
        }
    }

    /// The value under `key`, for a mapping.
    public subscript(key: String) -> YAMLNode? {
        guard case .mapping(let pairs) = kind else { return nil }
        return pairs.first { $0.key.scalar == key }?.value
    }
}
