/// A shell-style pattern on snap or app names, or on paths inside a revision: `*`, `?` and
/// `[a-z]` / `[!0-9]` classes. On paths (``Subject/exe``), as in the shell, none of them
/// matches a `/`: `usr/bin/*` matches `usr/bin/qemu` but not `usr/bin/x/qemu`.
public struct Glob: Sendable, Hashable, CustomStringConvertible {
    /// What a pattern is matched against: snap names, app names (which may also hold
    /// uppercase letters), or an executable's path inside its revision, without the leading
    /// slash (`usr/bin/qemu-system-x86_64`).
    public enum Subject: Sendable { case snap, app, exe }

    private enum Token: Sendable, Hashable {
        case literal(UInt8)
        case any
        case star
        case set([ClosedRange<UInt8>], negated: Bool)
    }

    public let pattern: String
    private let tokens: [Token]
    /// Paths: no wildcard matches a `/`.
    private let separatesPaths: Bool

    /// The longest pattern, in bytes: snap names have at most 40 characters and app names are
    /// as short, so this is generous; it keeps messages that quote a pattern short, too.
    public static let maximumLength = 256

    /// Compiles `pattern`; the error says what is wrong with it.
    public static func compile(_ pattern: String, for subject: Subject) -> Result<Glob, ParseError> {
        let bytes = Array(pattern.utf8)
        let what: String
        switch subject {
        case .snap: what = "snap"
        case .app: what = "app"
        case .exe: what = "exe"
        }
        if subject == .exe {
            guard !bytes.isEmpty else {
                return .failure(ParseError("empty exe pattern; give the executable's path inside the revision, such as usr/bin/qemu-system-*"))
            }
            guard bytes[0] != UInt8(ascii: "/") else {
                let trimmed = String(pattern.drop { $0 == "/" })
                return .failure(ParseError("exe pattern '\(pattern)' starts with '/'; exe is the path inside the revision, without the leading slash: write \"\(trimmed.isEmpty ? "usr/bin/qemu-system-*" : trimmed)\""))
            }
        }
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
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): return subject != .snap
            // A path may hold anything but NUL; control characters are refused as typos.
            default: return subject == .exe && b >= 0x20 && b != 0x7f
            }
        }
        func controlCharacter(_ b: UInt8) -> ParseError {
            ParseError("exe pattern \(JSONValue.string(pattern).serialized()) holds a control character (byte \(b)); write the path as the file is named")
        }
        let allowed: String
        switch subject {
        case .snap: allowed = "lowercase letters, digits and hyphens"
        case .app: allowed = "letters, digits and hyphens"
        case .exe: allowed = "any characters but control characters"
        }
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
                        if subject == .exe { return .failure(controlCharacter(low)) }
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
                    if subject == .exe { return .failure(controlCharacter(b)) }
                    return .failure(ParseError("pattern '\(quoted)' holds \(shown(b)), which no \(what) name has; \(what) names have \(allowed), patterns add *, ? and [...]"))
                }
                tokens.append(.literal(b))
            }
            i += 1
        }
        return .success(Glob(pattern: pattern, tokens: tokens, separatesPaths: subject == .exe))
    }

    private init(pattern: String, tokens: [Token], separatesPaths: Bool) {
        self.pattern = pattern
        self.tokens = tokens
        self.separatesPaths = separatesPaths
    }

    /// A pattern failure.
    public struct ParseError: Error, Sendable, Equatable {
        public let message: String
        init(_ message: String) { self.message = message }
    }

    /// Whether the pattern has no wildcards.
    public var isLiteral: Bool { tokens.allSatisfy { if case .literal = $0 { true } else { false } } }

    /// Whether the pattern is `*` on names (on paths, `*` matches only names without a `/`).
    public var matchesEverything: Bool { tokens == [.star] && !separatesPaths }

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
        let slash = UInt8(ascii: "/")
        var t = 0, n = 0
        var starToken = -1, starName = 0
        while n < text.count {
            steps += 1
            // On paths, only a literal `/` matches a `/`.
            let wild = !separatesPaths || text[n] != slash
            if t < tokens.count {
                switch tokens[t] {
                case .star:
                    starToken = t
                    starName = n
                    t += 1
                    continue
                case .any where wild:
                    t += 1; n += 1
                    continue
                case .literal(let b) where b == text[n]:
                    t += 1; n += 1
                    continue
                case .set(let ranges, let negated) where wild && ranges.contains(where: { $0.contains(text[n]) }) != negated:
                    t += 1; n += 1
                    continue
                default:
                    break
                }
            }
            // Let the last `*` take one more character; on paths it never takes a `/`, and no
            // earlier `*` could either, as the `/` between them must match literally.
            guard starToken >= 0, !separatesPaths || text[starName] != slash else { return false }
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
        // `prefix*` covers any pattern that starts with the same literal prefix (on paths: and
        // has no `/` after it, which the `*` could not match).
        if tokens.last == .star, tokens.dropLast().allSatisfy({ if case .literal = $0 { true } else { false } }) {
            let prefix = tokens.dropLast()
            guard other.tokens.count >= prefix.count, Array(other.tokens.prefix(prefix.count)) == Array(prefix) else { return false }
            return !separatesPaths || !other.tokens.dropFirst(prefix.count).contains(.literal(UInt8(ascii: "/")))
        }
        return false
    }

    public var description: String { pattern }
}
