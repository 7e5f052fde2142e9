import DICOM
import Foundation

/// Dates, times and datetimes as spans of time, for range matching (PS3.4 C.2.2.2.5).
/// A value covers every moment its precision allows: "2024" all of that year, "10" the
/// hour from 10:00 to 10:59:59.999999, so a range's bounds include their whole value.
enum DateRange {
    /// The two sides of a range value — "a-b", "-b" or "a-" —, or nil when the text is
    /// not a range. A datetime's UTC offset may also hold a "-": a split counts only where
    /// both sides read as values of the VR and the lower does not come after the upper.
    static func split(_ text: String, vr: VR) -> (lower: String?, upper: String?)? {
        for dash in text.indices where text[dash] == "-" {
            let lower = String(text[..<dash])
            let upper = String(text[text.index(after: dash)...])
            if lower.isEmpty && upper.isEmpty { return nil }
            let lowerSpan = lower.isEmpty ? nil : span(of: lower, vr: vr)
            let upperSpan = upper.isEmpty ? nil : span(of: upper, vr: vr)
            if !lower.isEmpty && lowerSpan == nil { continue }
            if !upper.isEmpty && upperSpan == nil { continue }
            if let lowerSpan, let upperSpan, lowerSpan.lowerBound > upperSpan.upperBound { continue }
            return (lower.isEmpty ? nil : lower, upper.isEmpty ? nil : upper)
        }
        return nil
    }

    /// The moments a value covers, on one scale per VR (seconds for TM and DT); nil when it is not a
    /// value of the VR. Datetimes without an offset are taken as UTC (a query's
    /// Timezone Offset From UTC is not applied).
    static func span(of text: String, vr: VR) -> ClosedRange<Double>? {
        switch vr {
        case .DA:
            guard let date = DICOMDate(text) else { return nil }
            // Whole days: only their order counts, so a number that sorts like the date.
            let day = Double(date.year * 10_000 + date.month * 100 + date.day)
            return day...day
        case .TM:
            guard let time = DICOMTime(text) else { return nil }
            return time.secondsSinceMidnight...(time.secondsSinceMidnight + unresolved(time))
        case .DT:
            guard let value = DICOMDateTime(text), let start = value.date(defaultTimeZone: utc) else { return nil }
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = utc
            let first = start.timeIntervalSince1970
            if let time = value.time { return first...(first + unresolved(time)) }
            let unit: Calendar.Component = value.day != nil ? .day : value.month != nil ? .month : .year
            guard let next = calendar.date(byAdding: unit, value: 1, to: start) else { return nil }
            return first...(next.timeIntervalSince1970 - 0.000001)
        default:
            return nil
        }
    }

    /// How far past its start a time value reaches: the components it leaves out.
    private static func unresolved(_ time: DICOMTime) -> Double {
        if time.minute == nil { return 3_599.999999 }
        if time.second == nil { return 59.999999 }
        if time.microsecond == nil { return 0.999999 }
        return 0
    }

    private static let utc = TimeZone(secondsFromGMT: 0)!
}
