import RefreshCore

/// systemd's time spans as `systemctl show` prints them (`format_timespan`): components such as
/// `1min 30.500000s`, `11month 4w 2d 4h 30min`, `100ms`, `0`.
enum SystemdTimespan {
    /// The units, longest first: systemd's year and month are 365.25 and 30.44 days.
    private static let units: [(suffix: String, microseconds: UInt64)] = [
        ("y", 31_557_600_000_000), ("month", 2_629_800_000_000), ("w", 604_800_000_000), ("d", 86_400_000_000),
        ("h", 3_600_000_000), ("min", 60_000_000), ("s", 1_000_000), ("ms", 1_000), ("us", 1),
    ]

    /// The span, or `nil` when `text` is not one (`infinity` is not: the caller decides what
    /// no limit means). Each unit appears at most once, longest first; only the last component
    /// may have a fraction (`30.500000s`), as systemd prints them.
    static func parse(_ text: String) -> Duration? {
        if text == "0" { return .zero }
        let components = text.split(separator: " ", omittingEmptySubsequences: false)
        if components.isEmpty { return nil }
        var total: UInt64 = 0
        var nextUnit = 0
        for (index, component) in components.enumerated() {
            let digitsEnd = component.firstIndex { !($0.isASCII && ($0.isNumber || $0 == ".")) } ?? component.endIndex
            let number = component[..<digitsEnd], suffix = component[digitsEnd...]
            guard let unitIndex = units[nextUnit...].firstIndex(where: { $0.suffix == suffix }) else { return nil }
            nextUnit = unitIndex + 1
            let scale = units[unitIndex].microseconds
            let parts = number.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count <= 2, let whole = UInt64(parts[0]), String(whole) == parts[0] else { return nil }
            var micros = whole.multipliedReportingOverflow(by: scale)
            if micros.overflow { return nil }
            if parts.count == 2 {
                let fraction = parts[1]
                guard index == components.count - 1, !fraction.isEmpty, fraction.count <= 9,
                    fraction.allSatisfy({ $0.isASCII && $0.isNumber }), let digits = UInt64(fraction)
                else { return nil }
                var denominator: UInt64 = 1
                for _ in 0..<fraction.count { denominator *= 10 }
                let product = digits.multipliedFullWidth(by: scale)
                if product.high >= denominator { return nil }
                micros = micros.partialValue.addingReportingOverflow(denominator.dividingFullWidth(product).quotient)
                if micros.overflow { return nil }
            }
            let sum = total.addingReportingOverflow(micros.partialValue)
            if sum.overflow { return nil }
            total = sum.partialValue
        }
        return .microseconds(Int64(clamping: total))
    }
}
