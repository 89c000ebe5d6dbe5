import Foundation
import RefreshCore

/// The wall clock, for a plan whose scenario does not fix `now`.
public enum SystemClock {
    public static func now() -> Timestamp {
        Timestamp(secondsSinceEpoch: Int64(Date().timeIntervalSince1970))
    }
}
