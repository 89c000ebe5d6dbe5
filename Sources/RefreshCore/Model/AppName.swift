/// A validated app (or hook) name inside a snap.
///
/// snapd's rules: ASCII letters of either case, digits and hyphens, not starting or ending with
/// a hyphen, never two hyphens in a row, at least one character.
public struct AppName: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let rawValue: String

    public init?(_ rawValue: String) {
        guard AppName.problem(with: rawValue) == nil else { return nil }
        self.rawValue = rawValue
    }

    /// Why `name` is not a valid app name, or `nil` when it is.
    public static func problem(with name: String) -> String? {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty else { return "must not be empty" }
        var previous: UInt8 = 0
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                break
            case UInt8(ascii: "-"):
                if previous == UInt8(ascii: "-") { return "must not contain two hyphens in a row" }
            default:
                return "may only contain ASCII letters, digits and hyphens"
            }
            previous = byte
        }
        if bytes.first == UInt8(ascii: "-") || bytes.last == UInt8(ascii: "-") {
            return "must not start or end with a hyphen"
        }
        return nil
    }

    public var description: String { rawValue }

    public static func < (lhs: AppName, rhs: AppName) -> Bool { lhs.rawValue < rhs.rawValue }
}
