extension PolicyTestReport {
    /// The report as one line of JSON, keys in a fixed order: `version`, `cases` (each with
    /// `file`, `line`, `name`, `result` and every check, passed or not), `diagnostics`,
    /// `passed`, `failed` and `exit-code`.
    public func json() -> String {
        JSONValue.object([
            ("version", .int(Int64(PolicyTestReport.formatVersion))),
            ("cases", .array(results.map(\.jsonValue))),
            ("diagnostics", .array(diagnostics.map(\.jsonValue))),
            ("passed", .int(Int64(passed))),
            ("failed", .int(Int64(failed))),
            ("exit-code", .int(Int64(exitCode))),
        ]).serialized() + "\n"
    }
}

extension PolicyTestCaseResult {
    var jsonValue: JSONValue {
        .object([
            ("file", .string(location.file)),
            ("line", .int(Int64(location.line))),
            ("name", .string(name)),
            ("result", .string(passed ? "pass" : "fail")),
            ("checks", .array(checks.map(\.jsonValue))),
        ])
    }
}

extension PolicyTestCheck {
    var jsonValue: JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("file", .string(location.file)),
            ("line", .int(Int64(location.line))),
            ("column", .int(Int64(location.column))),
            ("snap", .string(snap.rawValue)),
            ("subject", .string(subject)),
            ("expected", .string(expected)),
            ("actual", .string(actual)),
        ]
        if let reason { pairs.append(("reason", .string(reason))) }
        pairs.append(("result", .string(passed ? "pass" : "fail")))
        return .object(pairs)
    }
}

extension Diagnostic {
    var jsonValue: JSONValue {
        .object([
            ("severity", .string(severity.rawValue)),
            ("file", .string(location.file)),
            ("line", .int(Int64(location.line))),
            ("column", .int(Int64(location.column))),
            ("message", .string(message)),
        ])
    }
}
