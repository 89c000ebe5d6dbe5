/// A snap.yaml command line (`command`, `stop-command`): a program inside the snap's revision,
/// then its arguments.
///
/// As snapd runs one, the line is split into words at blanks and the first word is a path
/// relative to the revision's root; snapcraft writes it with a `$SNAP/` (or `${SNAP}/`) in
/// front, which is taken off here. The one place that splits such a line: the planner (which
/// makes a stop-command absolute) and binding inference (which matches `command`) both use it.
struct SnapCommandLine: Sendable, Hashable {
    /// The program, relative to the revision's root, without `$SNAP/` and leading `./`.
    var program: String
    /// The words after the program.
    var arguments: [String]

    /// `nil` when `line` has no words.
    init?(_ line: String) {
        let words = line.split(whereSeparator: \.isWhitespace)
        guard var program = words.first else { return nil }
        for prefix in ["$SNAP/", "${SNAP}/"] where program.hasPrefix(prefix) { program = program.dropFirst(prefix.count) }
        while program.hasPrefix("./") { program = program.dropFirst(2) }
        self.program = String(program)
        self.arguments = words.dropFirst().map(String.init)
    }

    /// Where the program lies: inside the revision, or why not.
    private enum Placement { case inside, missing, absolute, climbsOut }

    private var placement: Placement {
        if program.isEmpty { return .missing }
        if program.hasPrefix("/") { return .absolute }
        if program.split(separator: "/").contains("..") { return .climbsOut }
        return .inside
    }

    /// Why the program of `line` is not a file inside the revision, or `nil` when it is (or
    /// the line has no words, which the caller reports as empty).
    /// - Parameter key: the snap.yaml key, for the message (`stop-command`).
    static func problem(with line: String, key: String) -> String? {
        guard let parsed = SnapCommandLine(line) else { return nil }
        switch parsed.placement {
        case .inside:
            return nil
        case .missing:
            let first = line.drop(while: \.isWhitespace)
            let written = ["$SNAP/", "${SNAP}/"].first { first.hasPrefix($0) } ?? "./"
            return "\(key) names no program after '\(written)'; give the program inside the snap, such as $SNAP/bin/stop"
        case .absolute:
            return "\(key) runs '\(parsed.program)', an absolute path; a snap's \(key) names a program inside its own revision, relative to it, such as bin/stop or $SNAP/bin/stop"
        case .climbsOut:
            return "\(key) runs '\(parsed.program)', which leaves the snap's revision through '..'; a snap's \(key) names a program inside its own revision: remove the '..' steps"
        }
    }

    /// The words to run: the program under `root` (`/snap/NAME/REV`), then the arguments;
    /// `nil` when the program is not inside the revision (see ``problem(with:key:)``).
    func words(under root: String) -> [String]? {
        guard placement == .inside else { return nil }
        return ["\(root)/\(program)"] + arguments
    }
}
