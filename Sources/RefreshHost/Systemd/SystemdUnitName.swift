import RefreshCore

/// The name of a systemd service or scope unit, checked so that `systemctl` neither mangles it
/// (it appends `.service` to a name without a suffix and escapes odd characters) nor reads it
/// as an option.
public struct SystemdUnitName: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The kinds of unit the service manager acts on.
    public enum Kind: String, Sendable, CaseIterable {
        case service, scope
    }

    public let rawValue: String

    /// - Throws: `RefreshCoreError` (`invalidArgument`) naming what is wrong: no `.service` or
    ///   `.scope` suffix, a character systemd does not allow in unit names, a leading `-` or
    ///   `.`, or more than 255 bytes.
    public init(_ name: String) throws(RefreshCoreError) {
        if let problem = SystemdUnitName.problem(name) {
            throw RefreshCoreError(.invalidArgument, "'\(name)' is not a systemd unit name: \(problem)")
        }
        rawValue = name
    }

    /// The kind of unit, from the suffix.
    public var kind: Kind { rawValue.hasSuffix(".scope") ? .scope : .service }

    /// `snap.NAME.APP.service`, the unit snapd writes for a daemon app.
    public static func snapService(snap: SnapName, app: AppName) -> SystemdUnitName {
        SystemdUnitName(unchecked: "snap.\(snap).\(app).service")
    }

    /// `refreshctl-survivor-NAME.APP-PID.scope`: the scope a survivor of `snap.NAME.APP.service`
    /// is moved into. It does not start with `snap.`, so it never reads as a snap's own unit
    /// (`snap.NAME.APP-UUID.scope` is an app's); the dot keeps snap and app apart, as neither
    /// name may contain one.
    public static func survivorScope(snap: SnapName, app: AppName, pid: Int32) -> SystemdUnitName {
        SystemdUnitName(unchecked: "refreshctl-survivor-\(snap).\(app)-\(pid).scope")
    }

    private init(unchecked: String) { rawValue = unchecked }

    static func problem(_ name: String) -> String? {
        guard let kind = Kind.allCases.first(where: { name.hasSuffix(".\($0.rawValue)") }) else {
            return "it must end in .service or .scope"
        }
        let stem = name.utf8.dropLast(kind.rawValue.utf8.count + 1)
        if stem.isEmpty { return "the part before .\(kind.rawValue) is empty" }
        if name.utf8.count > 255 { return "it is longer than 255 bytes" }
        if stem.first == UInt8(ascii: "-") || stem.first == UInt8(ascii: ".") { return "it must not start with '-' or '.'" }
        for byte in stem {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                continue
            case UInt8(ascii: ":"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "\\"), UInt8(ascii: "@"):
                continue
            default:
                return "only letters, digits and : - _ . \\ @ may appear in it"
            }
        }
        return nil
    }

    public var description: String { rawValue }
    public static func < (lhs: SystemdUnitName, rhs: SystemdUnitName) -> Bool { lhs.rawValue < rhs.rawValue }
}
