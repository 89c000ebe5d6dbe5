/// A snap revision: a store revision `N > 0`, or a local (side-loaded) revision printed `xN`.
///
/// Ordering: local revisions sort before store revisions (as in snapd, where they are negative),
/// each kind by its number. "Newest" below means greatest in this order.
public struct Revision: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The revision number, always positive.
    public let number: Int
    /// Whether this is a local revision (`x1`, `x2`, ...).
    public let isLocal: Bool

    /// A store revision; `nil` unless `number > 0`.
    public init?(store number: Int) {
        guard number > 0 else { return nil }
        self.number = number
        self.isLocal = false
    }

    /// A local revision `xN`; `nil` unless `number > 0`.
    public init?(local number: Int) {
        guard number > 0 else { return nil }
        self.number = number
        self.isLocal = true
    }

    /// Parses `12` or `x3`; returns `nil` for `0`, negatives, and anything else.
    public init?(_ text: String) {
        guard Revision.problem(with: text) == nil else { return nil }
        var digits = Substring(text)
        isLocal = digits.first == "x"
        if isLocal { digits = digits.dropFirst() }
        number = Int(digits)!
    }

    /// Why `text` is not a revision, or `nil` when it is.
    public static func problem(with text: String) -> String? {
        var digits = Substring(text)
        if digits.first == "x" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), digits.count <= 12,
            let value = Int(digits)
        else {
            return "expected a store revision (a number greater than 0) or a local revision (x1, x2, ...)"
        }
        if value == 0 { return "revision 0 does not exist; revisions start at 1" }
        if digits.first == "0" { return "revision numbers have no leading zeros" }
        return nil
    }

    public var description: String { isLocal ? "x\(number)" : "\(number)" }

    public static func < (lhs: Revision, rhs: Revision) -> Bool {
        if lhs.isLocal != rhs.isLocal { return lhs.isLocal }
        return lhs.number < rhs.number
    }
}
