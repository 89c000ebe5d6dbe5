/// Thrown for a transition a state machine does not allow.
///
/// A state machine that throws this leaves its state unchanged, so the shell can report the
/// error and stop without first repairing the machine. The fields are strings, not the
/// machines' own enums, so one error type serves every machine and prints the same way.
public struct IllegalTransition: Error, Sendable, Hashable, CustomStringConvertible {
    /// Which machine refused: `"refresh transaction"` or `"revision lifecycle"`.
    public var machine: String
    /// The state the machine was in, as its `rawValue` (`"planned"`, `"in-use"`).
    public var state: String
    /// The event's name, as the event's `name` has it (`"switched"`, `"users-exited"`).
    public var event: String

    /// - Parameters:
    ///   - machine: The machine's name, as it should appear in the message.
    ///   - state: The state's `rawValue`.
    ///   - event: The event's name.
    public init(machine: String, state: String, event: String) {
        self.machine = machine
        self.state = state
        self.event = event
    }

    /// `refresh transaction: 'switched' is not allowed in state 'planned'`.
    public var description: String {
        "\(machine): '\(event)' is not allowed in state '\(state)'"
    }
}
