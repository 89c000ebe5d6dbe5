import RefreshCore

extension SystemdUnitStatus {
    /// The properties ``parse(show:kind:)`` reads for a unit of `kind`, in the order
    /// `systemctl show -p` is given them. A scope has no main process: systemd prints no
    /// `MainPID`, `ExecMainCode` or `ExecMainStatus` for one.
    public static func showProperties(for kind: SystemdUnitName.Kind) -> [String] {
        let serviceOnly: Set = ["MainPID", "ExecMainCode", "ExecMainStatus"]
        let all = [
            "Id", "LoadState", "ActiveState", "SubState", "MainPID", "KillMode", "ControlGroup",
            "TimeoutStopUSec", "ExecMainCode", "ExecMainStatus", "Result", "Job", "InvocationID",
        ]
        return kind == .service ? all : all.filter { !serviceOnly.contains($0) }
    }

    /// Parses the output of `systemctl show -p PROPERTIES UNIT` for the
    /// ``showProperties(for:)`` of `kind`, strictly: every line is `Key=Value`, every property
    /// appears exactly once and no other does, and every value has its documented form. systemd
    /// prints the lines in an order of its own.
    ///
    /// - Throws: `RefreshCoreError` (`io`) saying which line or property was wrong.
    public static func parse(show text: String, kind: SystemdUnitName.Kind = .service) throws(RefreshCoreError) -> SystemdUnitStatus {
        let showProperties = showProperties(for: kind)
        var values: [String: String] = [:]
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        for (index, line) in lines.enumerated() {
            guard let equals = line.firstIndex(of: "=") else {
                throw failure("line \(index + 1) is not Key=Value: '\(line)'")
            }
            let key = String(line[..<equals]), value = String(line[line.index(after: equals)...])
            guard showProperties.contains(key) else { throw failure("line \(index + 1): unexpected property \(key)") }
            guard values.updateValue(value, forKey: key) == nil else { throw failure("line \(index + 1): \(key) appears twice") }
        }
        if let missing = showProperties.first(where: { values[$0] == nil }) { throw failure("the property \(missing) is missing") }
        // A scope's absent main-process fields read as "none".
        func value(_ key: String) -> String { values[key] ?? (key == "MainPID" || key.hasPrefix("ExecMain") ? "0" : "") }

        let unit = value("Id")
        if unit.isEmpty { throw failure("Id is empty") }
        guard let activeState = ActiveState(rawValue: value("ActiveState")) else {
            throw failure("ActiveState '\(value("ActiveState"))' is none of: \(ActiveState.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let killMode = KillMode(rawValue: value("KillMode")) else {
            throw failure("KillMode '\(value("KillMode"))' is none of: \(KillMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        for key in ["LoadState", "SubState", "Result"] where !isWord(value(key)) {
            throw failure("\(key) '\(value(key))' is not a lowercase word")
        }
        let mainPID = try number(value("MainPID"), "MainPID", max: UInt32(Int32.max))
        let controlGroup = value("ControlGroup")
        if !controlGroup.isEmpty && !controlGroup.hasPrefix("/") { throw failure("ControlGroup '\(controlGroup)' is not an absolute cgroup path") }
        let timeoutStop: Duration?
        if value("TimeoutStopUSec") == "infinity" {
            timeoutStop = nil
        } else if let parsed = SystemdTimespan.parse(value("TimeoutStopUSec")) {
            timeoutStop = parsed
        } else {
            throw failure("TimeoutStopUSec '\(value("TimeoutStopUSec"))' is not a systemd time span")
        }
        let code = try number(value("ExecMainCode"), "ExecMainCode", max: 6)
        let status = Int32(try number(value("ExecMainStatus"), "ExecMainStatus", max: UInt32(Int32.max)))
        let mainExit: MainExit?
        switch code {
        case 0: mainExit = nil  // none yet
        case 1: mainExit = .exited(status)  // CLD_EXITED
        case 2: mainExit = .killed(signal: status)  // CLD_KILLED
        case 3: mainExit = .dumped(signal: status)  // CLD_DUMPED
        default: throw failure("ExecMainCode \(code) is not how a process ends (1 exited, 2 killed, 3 dumped)")
        }
        let job = value("Job").isEmpty ? nil : try number(value("Job"), "Job", max: UInt32.max)
        let invocationID = value("InvocationID")
        if !invocationID.isEmpty && (invocationID.utf8.count != 32 || !invocationID.utf8.allSatisfy(isHexDigit)) {
            throw failure("InvocationID '\(invocationID)' is not 32 hexadecimal digits")
        }
        return SystemdUnitStatus(
            unit: unit, loadState: value("LoadState"), activeState: activeState, subState: value("SubState"),
            mainPID: mainPID == 0 ? nil : Int32(mainPID), killMode: killMode,
            controlGroup: controlGroup.isEmpty ? nil : controlGroup, timeoutStop: timeoutStop, mainExit: mainExit,
            result: value("Result"), job: job, invocationID: invocationID.isEmpty ? nil : invocationID)
    }

    private static func failure(_ what: String) -> RefreshCoreError {
        RefreshCoreError(.io, "systemctl show: \(what)")
    }

    /// A decimal number without sign or leading zeros (other than `0` itself), at most `max`.
    private static func number(_ text: String, _ key: String, max: UInt32) throws(RefreshCoreError) -> UInt32 {
        guard let value = UInt32(text), String(value) == text, value <= max else {
            throw failure("\(key) '\(text)' is not a number from 0 to \(max)")
        }
        return value
    }

    private static func isWord(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || $0 == UInt8(ascii: "-") }
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
    }
}
