/// A validated snap name.
///
/// snapd's rules: 2–40 characters of lowercase `a`–`z`, digits and hyphens, at least one letter,
/// no hyphen at either end and never two in a row. A value of this type therefore never holds
/// `/`, `.` or anything else that could escape a path it is joined into.
public struct SnapName: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let rawValue: String

    /// Validates `rawValue`; returns `nil` when it is not a snap name.
    public init?(_ rawValue: String) {
        guard SnapName.problem(with: rawValue) == nil else { return nil }
        self.rawValue = rawValue
    }

    /// Validates `rawValue`.
    /// - Throws: ``RefreshCoreError`` with code `invalidArgument`, saying what is wrong.
    public init(validating rawValue: String) throws(RefreshCoreError) {
        if let problem = SnapName.problem(with: rawValue) {
            throw RefreshCoreError(.invalidArgument, "invalid snap name '\(rawValue)': \(problem)")
        }
        self.rawValue = rawValue
    }

    /// Why `name` is not a valid snap name, or `nil` when it is.
    public static func problem(with name: String) -> String? {
        let bytes = Array(name.utf8)
        // Characters first: once they are all ASCII, bytes and characters count alike.
        let allowed = bytes.allSatisfy {
            ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
                || $0 == UInt8(ascii: "-")
        }
        guard allowed else { return "may only contain lowercase letters a-z, digits and hyphens" }
        guard bytes.count >= 2, bytes.count <= 40 else {
            return "must be 2 to 40 characters long, is \(bytes.count)"
        }
        var hasLetter = false
        var previous: UInt8 = 0
        for byte in bytes {
            if byte >= UInt8(ascii: "a"), byte <= UInt8(ascii: "z") { hasLetter = true }
            if byte == UInt8(ascii: "-"), previous == UInt8(ascii: "-") { return "must not contain two hyphens in a row" }
            previous = byte
        }
        if bytes.first == UInt8(ascii: "-") || bytes.last == UInt8(ascii: "-") {
            return "must not start or end with a hyphen"
        }
        if !hasLetter { return "must contain at least one letter" }
        return nil
    }

    public var description: String { rawValue }

    public static func < (lhs: SnapName, rhs: SnapName) -> Bool { lhs.rawValue < rhs.rawValue }
}
