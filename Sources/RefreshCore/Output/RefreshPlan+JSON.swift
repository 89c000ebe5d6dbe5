extension RefreshPlan {
    /// The plan as DESIGN.md's JSON (`version` 1), one line, keys in a fixed order.
    public func json() -> String {
        var pairs: [(String, JSONValue)] = [
            ("version", .int(Int64(RefreshPlan.formatVersion))),
            ("now", .string(now.description)),
            ("snaps", .array(snaps.map(\.jsonValue))),
            ("warnings", .array(warnings.map { .string($0) })),
            ("exit-code", .int(Int64(exitCode))),
        ]
        if let serviceManager { pairs.append(("service-manager", .string(serviceManager))) }
        return JSONValue.object(pairs).serialized() + "\n"
    }
}

extension SnapPlan {
    var jsonValue: JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("name", .string(name.rawValue)),
            ("from", from.map { .string($0.description) } ?? .null),
            ("to", to.map { .string($0.description) } ?? .null),
            ("outcome", .string(outcome.rawValue)),
        ]
        if let error { pairs.append(("error", .string(error))) }
        if let hold { pairs.append(("hold", hold.jsonValue)) }
        if let postponement {
            pairs.append(("postponed-since", .string(postponement.since.description)))
            pairs.append(("deadline", .string(postponement.deadline.description)))
        }
        pairs.append(("processes", .array(processes.map(\.jsonValue))))
        pairs.append(("services", .array(services.map(\.jsonValue))))
        pairs.append(("keep", .array(keep.map {
            .object([("revision", .string($0.revision.description)), ("why", .string($0.why))])
        })))
        pairs.append(("remove", .array(remove.map { .object([("revision", .string($0.description))]) })))
        return .object(pairs)
    }
}

extension ProcessDecision {
    var jsonValue: JSONValue {
        var pairs: [(String, JSONValue)] = [("pid", .int(Int64(identity.pid)))]
        if let start = identity.startTime { pairs.append(("start-time", .int(Int64(start)))) }
        pairs.append(("ppid", parent.map { .int(Int64($0)) } ?? .null))
        pairs.append(("role", .string(role.rawValue)))
        pairs.append(("snap", .string(snap.rawValue)))
        pairs.append(("app", app.map { .string($0.rawValue) } ?? .null))
        if let hook { pairs.append(("hook", .string(hook.rawValue))) }
        if let service { pairs.append(("service", .string(service))) }
        pairs.append(("revision", .string(revision.description)))
        if let pins { pairs.append(("pins", .string(pins.description))) }
        pairs.append(("action", .string(action.rawValue)))
        pairs.append(("reason", .string(reason)))
        if let signal { pairs.append(("signal", .string(signal.rawValue))) }
        if let stopCommand { pairs.append(("stop-command", .array(stopCommand.map { .string($0) }))) }
        if let timeout { pairs.append(("timeout", .string(timeout.description))) }
        if let then { pairs.append(("then", .string(then.rawValue))) }
        if let restartCommand { pairs.append(("restart-command", .array(restartCommand.map { .string($0) }))) }
        if let deadline { pairs.append(("deadline", .string(deadline.description))) }
        if !sources.isEmpty {
            pairs.append(("sources", .object(sources.map { ($0.field, .string($0.source)) })))
        }
        return .object(pairs)
    }
}

extension ServicePlan {
    var jsonValue: JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("unit", .string(unit)),
            ("snap", .string(snap.rawValue)),
            ("app", .string(app.rawValue)),
            ("revision", .string(revision.description)),
            ("main", main.map { .int(Int64($0.pid)) } ?? .null),
            ("action", .string(action.rawValue)),
            ("reason", .string(reason)),
            ("kill-mode", .string(killMode.rawValue)),
            ("kill-mode-source", .string(killModeSource)),
        ]
        if let stopMode { pairs.append(("stop-mode", .string(stopMode.description))) }
        if let signal { pairs.append(("signal", .string(signal.rawValue))) }
        if let stopCommand { pairs.append(("stop-command", .array(stopCommand.map { .string($0) }))) }
        if let timeout { pairs.append(("timeout", .string(timeout.description))) }
        if let then { pairs.append(("then", .string(then.rawValue))) }
        if let restartCommand { pairs.append(("restart-command", .array(restartCommand.map { .string($0) }))) }
        if let deadline { pairs.append(("deadline", .string(deadline.description))) }
        if !sources.isEmpty {
            pairs.append(("sources", .object(sources.map { ($0.field, .string($0.source)) })))
        }
        pairs.append(("stopped", .array(stopped.map { .int(Int64($0.pid)) })))
        pairs.append(("others", .array(others.map { .int(Int64($0.pid)) })))
        return .object(pairs)
    }
}
