/// A shell-style pattern on snap or app names: `*`, `?` and `[a-z]` / `[!0-9]` classes.
public struct Glob: Sendable, Hashable, CustomStringConvertible {
    /// What a pattern is matched against: snap names, or app names (which may also hold
    /// uppercase letters).
    public enum Subject: Sendable { case snap, app }

    private enum Token: Sendable, Hashable {
        case literal(UInt8)
        case any
        case star
        case set([ClosedRange<UInt8>], negated: Bool)
    }

    public let pattern: String
    private let tokens: [Token]

    /// The longest pattern, in bytes: snap names have at most 40 characters and app names are
    /// as short, so this is generous; it keeps messages that quote a pattern short, too.
    public static let maximumLength = 256

    /// Compiles `pattern`; the error says what is wrong with it.
    public static func compile(_ pattern: String, for subject: Subject) -> Result<Glob, ParseError> {
        let bytes = Array(pattern.utf8)
        let what = subject == .snap ? "snap" : "app"
        guard !bytes.isEmpty else { return .failure(ParseError("empty \(what) pattern; use \"*\" to match every \(what)")) }
        guard bytes.count <= maximumLength else {
            let names = subject == .snap ? "snap names have at most 40 characters" : "app names are far shorter"
            return .failure(ParseError("\(what) pattern is \(bytes.count) bytes long, more than the \(maximumLength) allowed; \(names)"))
        }
        // Quoted in messages: control characters shown escaped.
        let quoted = PlainText.escaped(pattern)
        func shown(_ b: UInt8) -> String {
            if b < 0x20 || b == 0x7F { return "the control character \(PlainText.code(Unicode.Scalar(b)))" }
            return b < 128 ? "'\(Character(UnicodeScalar(b)))'" : "a non-ASCII character"
        }
        func nameByte(_ b: UInt8) -> Bool {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"): return true
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): return subject == .app
            default: return false
            }
        }
        let allowed = subject == .snap ? "lowercase letters, digits and hyphens" : "letters, digits and hyphens"
        var tokens: [Token] = []
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "*"):
                if tokens.last != .star { tokens.append(.star) }
            case UInt8(ascii: "?"):
                tokens.append(.any)
            case UInt8(ascii: "["):
                var j = i + 1
                var negated = false
                if j < bytes.count, bytes[j] == UInt8(ascii: "!") || bytes[j] == UInt8(ascii: "^") {
                    negated = true
                    j += 1
                }
                var ranges: [ClosedRange<UInt8>] = []
                while j < bytes.count, bytes[j] != UInt8(ascii: "]") {
                    let low = bytes[j]
                    guard nameByte(low) || low == UInt8(ascii: "-") else {
                        return .failure(ParseError("character class in pattern '\(quoted)' holds \(shown(low)); \(what) names only have \(allowed)"))
                    }
                    if j + 2 < bytes.count, bytes[j + 1] == UInt8(ascii: "-"), bytes[j + 2] != UInt8(ascii: "]") {
                        let high = bytes[j + 2]
                        guard low <= high, nameByte(high) else {
                            return .failure(ParseError("bad range in pattern '\(quoted)'; write ranges low to high, such as [a-z]"))
                        }
                        ranges.append(low...high)
                        j += 3
                    } else {
                        ranges.append(low...low)
                        j += 1
                    }
                }
                guard j < bytes.count else {
                    return .failure(ParseError("unclosed '[' in pattern '\(quoted)'; close the character class with ']'"))
                }
                guard !ranges.isEmpty else {
                    return .failure(ParseError("empty character class '[]' in pattern '\(quoted)'"))
                }
                tokens.append(.set(ranges, negated: negated))
                i = j
            default:
                guard nameByte(b) else {
                    return .failure(ParseError("pattern '\(quoted)' holds \(shown(b)), which no \(what) name has; \(what) names have \(allowed), patterns add *, ? and [...]"))
                }
                tokens.append(.literal(b))
            }
            i += 1
        }
        return .success(Glob(pattern: pattern, tokens: tokens))
    }

    private init(pattern: String, tokens: [Token]) {
        self.pattern = pattern
        self.tokens = tokens
    }

    /// A pattern failure.
    public struct ParseError: Error, Sendable, Equatable {
        public let message: String
        init(_ message: String) { self.message = message }
    }

    /// Whether the pattern has no wildcards.
    public var isLiteral: Bool { tokens.allSatisfy { if case .literal = $0 { true } else { false } } }

    /// Whether the pattern is `*`.
    public var matchesEverything: Bool { tokens == [.star] }

    /// Whether `name` matches the whole pattern.
    public func matches(_ name: String) -> Bool {
        var steps = 0
        return matches(name, steps: &steps)
    }

    /// ``matches(_:)``, counting the steps of its loop in `steps`.
    ///
    /// On a mismatch the matcher goes back only to the last `*` it passed, one name byte
    /// further on: an earlier `*` never needs another try, as the last one can take whatever
    /// it would. So each `*` restart costs at most one pass over the pattern, and a match takes
    /// at most (pattern + 1) × (name + 1) steps, whatever the pattern (`*a*a*a*b` included).
    func matches(_ name: String, steps: inout Int) -> Bool {
        let text = Array(name.utf8)
        var t = 0, n = 0
        var starToken = -1, starName = 0
        while n < text.count {
            steps += 1
            if t < tokens.count {
                switch tokens[t] {
                case .star:
                    starToken = t
                    starName = n
                    t += 1
                    continue
                case .any:
                    t += 1; n += 1
                    continue
                case .literal(let b) where b == text[n]:
                    t += 1; n += 1
                    continue
                case .set(let ranges, let negated) where ranges.contains(where: { $0.contains(text[n]) }) != negated:
                    t += 1; n += 1
                    continue
                default:
                    break
                }
            }
            guard starToken >= 0 else { return false }
            t = starToken + 1
            starName += 1
            n = starName
        }
        while t < tokens.count, tokens[t] == .star { t += 1 }
        return t == tokens.count
    }

    /// Whether every name `other` matches is matched by this pattern too (checked for the
    /// forms that occur in practice: equal patterns, `*`, a literal, and `prefix*`).
    public func covers(_ other: Glob) -> Bool {
        if tokens == other.tokens || matchesEverything { return true }
        if other.isLiteral { return matches(other.pattern) }
        // `prefix*` covers any pattern that starts with the same literal prefix.
        if tokens.last == .star, tokens.dropLast().allSatisfy({ if case .literal = $0 { true } else { false } }) {
            let prefix = tokens.dropLast()
            return other.tokens.count >= prefix.count && Array(other.tokens.prefix(prefix.count)) == Array(prefix)
        }
        return false
    }

    public var description: String { pattern }
}
