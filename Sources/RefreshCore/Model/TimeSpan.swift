/// A non-negative length of time with nanosecond precision.
///
/// Two spellings are accepted: snap.yaml's `stop-timeout` uses Go's `time.ParseDuration`
/// (`30s`, `2m`, `1m30s`, `1.5s`, `500ms`; units ns, us, µs, ms, s, m, h), and the policy file
/// adds days (`14d`) and drops the sub-millisecond units nobody writes in a policy.
public struct TimeSpan: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
    public static func milliseconds(_ ms: Int64) -> TimeSpan { TimeSpan(nanoseconds: ms * 1_000_000) }
    public static func seconds(_ s: Int64) -> TimeSpan { TimeSpan(nanoseconds: s * 1_000_000_000) }
    public static func minutes(_ m: Int64) -> TimeSpan { .seconds(m * 60) }
    public static func days(_ d: Int64) -> TimeSpan { .seconds(d * 86_400) }

    /// Whole seconds, rounded down.
    public var seconds: Int64 { nanoseconds / 1_000_000_000 }

    /// The spelling rules of one file format.
    public enum Syntax: Sendable {
        /// Go's `time.ParseDuration`, as snap.yaml uses.
        case go
        /// The policy file: units ms, s, m, h, d.
        case policy

        fileprivate var units: [(String, Int64)] {
            switch self {
            case .go:
                return [("ns", 1), ("us", 1_000), ("µs", 1_000), ("μs", 1_000), ("ms", 1_000_000),
                        ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000)]
            case .policy:
                return [("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000),
                        ("h", 3_600_000_000_000), ("d", 86_400_000_000_000)]
            }
        }

        var unitList: String { units.map(\.0).filter { $0 != "μs" }.joined(separator: ", ") }
    }

    /// Parses `text`; the error string says what was expected.
    public static func parse(_ text: String, syntax: Syntax) -> Result<TimeSpan, ParseError> {
        let example = syntax == .go ? "30s, 2m or 1m30s" : "30s, 2m, 1h or 14d"
        let expected = "expected a duration such as \(example) (units: \(syntax.unitList))"
        var scalars = Substring(text).unicodeScalars[...]
        if scalars.first == "-" {
            return .failure(ParseError("duration '\(text)' is negative; \(expected)"))
        }
        if scalars.first == "+" { scalars = scalars.dropFirst() }
        if syntax == .go, String(scalars) == "0" { return .success(TimeSpan(nanoseconds: 0)) }
        guard !scalars.isEmpty else { return .failure(ParseError("empty duration; \(expected)")) }
        var total: Double = 0
        while !scalars.isEmpty {
            let number = scalars.prefix { ("0"..."9").contains($0) || $0 == "." }
            scalars = scalars.dropFirst(number.count)
            let unitText = String(scalars.prefix { !("0"..."9").contains($0) && $0 != "." })
            scalars = scalars.dropFirst(unitText.unicodeScalars.count)
            guard !number.isEmpty, number.filter({ $0 == "." }).count <= 1, String(number) != ".",
                let value = Double(String(number))
            else {
                return .failure(ParseError("invalid duration '\(text)'; \(expected)"))
            }
            guard !unitText.isEmpty else {
                return .failure(ParseError("duration '\(text)' has no unit; \(expected)"))
            }
            guard let unit = syntax.units.first(where: { $0.0 == unitText }) else {
                return .failure(ParseError("unknown unit '\(unitText)' in duration '\(text)'; \(expected)"))
            }
            total += value * Double(unit.1)
        }
        guard total < 9.0e18 else { return .failure(ParseError("duration '\(text)' is too long")) }
        return .success(TimeSpan(nanoseconds: Int64(total.rounded())))
    }

    /// A duration parse failure.
    public struct ParseError: Error, Sendable, Equatable {
        public let message: String
        init(_ message: String) { self.message = message }
    }

    /// The shortest spelling in days, hours, minutes, seconds and milliseconds: `1m30s`, `14d`.
    public var description: String {
        if nanoseconds == 0 { return "0s" }
        var rest = nanoseconds
        var text = ""
        for (unit, size) in [("d", Int64(86_400_000_000_000)), ("h", 3_600_000_000_000),
                             ("m", 60_000_000_000), ("s", 1_000_000_000), ("ms", 1_000_000),
                             ("us", 1_000), ("ns", 1)] where rest >= size {
            text += "\(rest / size)\(unit)"
            rest %= size
        }
        return text
    }

    public static func < (lhs: TimeSpan, rhs: TimeSpan) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
}
