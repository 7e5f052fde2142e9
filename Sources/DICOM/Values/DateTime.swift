import Foundation

/// A date (VR DA, PS3.5 6.2): YYYYMMDD; leniently also the ACR-NEMA form YYYY.MM.DD.
public struct DICOMDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), (1...DICOMDate.days(inMonth: month, year: year)).contains(day) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    public init?(_ text: String) {
        var digits = Substring(text)
        if digits.count == 10, digits.dropFirst(4).first == ".", digits.dropFirst(7).first == "." {
            digits = digits.prefix(4) + digits.dropFirst(5).prefix(2) + digits.suffix(2)
        }
        guard digits.count == 8, digits.allSatisfy(\.isASCIIDigit),
              let year = Int(digits.prefix(4)), let month = Int(digits.dropFirst(4).prefix(2)), let day = Int(digits.suffix(2))
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    static func days(inMonth month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public var description: String { pad(year, 4) + pad(month, 2) + pad(day, 2) }

    public static func < (lhs: DICOMDate, rhs: DICOMDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// Midnight of this date in `timeZone`.
    public func date(in timeZone: TimeZone = .current) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar.date(from: DateComponents(year: year, month: month, day: day))
    }
}

/// A time of day (VR TM, PS3.5 6.2): HH[MM[SS[.FFFFFF]]]; leniently also HH:MM:SS.
public struct DICOMTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var hour: Int
    public var minute: Int?
    public var second: Int?
    /// Fraction of a second, in microseconds, and how many digits it was written with.
    public var microsecond: Int?
    var fractionDigits = 0

    public init?(_ text: String) {
        let compact = text.contains(":") ? text.replacingOccurrences(of: ":", with: "") : text
        let parts = compact.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let main = parts[0]
        guard [2, 4, 6].contains(main.count), main.allSatisfy(\.isASCIIDigit) else { return nil }
        hour = Int(main.prefix(2))!
        minute = main.count >= 4 ? Int(main.dropFirst(2).prefix(2)) : nil
        second = main.count == 6 ? Int(main.suffix(2)) : nil
        guard hour < 24, (minute ?? 0) < 60, (second ?? 0) < 61 else { return nil } // 60: leap second
        if parts.count == 2 {
            let fraction = parts[1]
            guard main.count == 6, (1...6).contains(fraction.count), fraction.allSatisfy(\.isASCIIDigit) else { return nil }
            fractionDigits = fraction.count
            microsecond = Int(fraction.padding(toLength: 6, withPad: "0", startingAt: 0))
        }
    }

    public var description: String {
        var text = pad(hour, 2)
        if let minute { text += pad(minute, 2) }
        if let second { text += pad(second, 2) }
        if let microsecond { text += "." + String(pad(microsecond, 6).prefix(fractionDigits)) }
        return text
    }

    /// Seconds since midnight, missing components taken as zero.
    public var secondsSinceMidnight: Double {
        let whole: Int = hour * 3600 + (minute ?? 0) * 60 + (second ?? 0)
        return Double(whole) + Double(microsecond ?? 0) / 1_000_000
    }

    public static func < (lhs: DICOMTime, rhs: DICOMTime) -> Bool { lhs.secondsSinceMidnight < rhs.secondsSinceMidnight }
}

/// A date and time (VR DT, PS3.5 6.2): YYYY[MM[DD[HH[MM[SS[.F{1-6}]]]]]][&ZZXX].
public struct DICOMDateTime: Hashable, Sendable, CustomStringConvertible {
    public var year: Int
    public var month: Int?
    public var day: Int?
    public var time: DICOMTime?
    /// The UTC offset in minutes, when one was given.
    public var utcOffsetMinutes: Int?

    public init?(_ text: String) {
        var body = Substring(text)
        if let sign = body.lastIndex(where: { $0 == "+" || $0 == "-" }) {
            let offset = body[body.index(after: sign)...]
            guard offset.count == 4, offset.allSatisfy(\.isASCIIDigit) else { return nil }
            let minutes = Int(offset.prefix(2))! * 60 + Int(offset.suffix(2))!
            utcOffsetMinutes = body[sign] == "-" ? -minutes : minutes
            body = body[..<sign]
        }
        let datePart = body.prefix { $0 != "." }.prefix(8)
        guard [4, 6, 8].contains(datePart.count), datePart.allSatisfy(\.isASCIIDigit) else { return nil }
        year = Int(datePart.prefix(4))!
        month = datePart.count >= 6 ? Int(datePart.dropFirst(4).prefix(2)) : nil
        day = datePart.count == 8 ? Int(datePart.suffix(2)) : nil
        if let month, !(1...12).contains(month) { return nil }
        if let month, let day, !(1...DICOMDate.days(inMonth: month, year: year)).contains(day) { return nil }
        let timePart = body.dropFirst(datePart.count)
        if !timePart.isEmpty {
            guard day != nil, let time = DICOMTime(String(timePart)), !String(timePart).contains(":") else { return nil }
            self.time = time
        }
    }

    public var description: String {
        var text = pad(year, 4)
        if let month { text += pad(month, 2) }
        if let day { text += pad(day, 2) }
        if let time { text += time.description }
        if let offset = utcOffsetMinutes {
            text += (offset < 0 ? "-" : "+") + pad(abs(offset) / 60, 2) + pad(abs(offset) % 60, 2)
        }
        return text
    }

    /// The moment, missing components taken as their first value; the offset given, or
    /// `timeZone` (the offset of (0008,0201) Timezone Offset From UTC, say) when none was.
    public func date(defaultTimeZone timeZone: TimeZone = .current) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = utcOffsetMinutes.flatMap { TimeZone(secondsFromGMT: $0 * 60) } ?? timeZone
        let components = DateComponents(year: year, month: month ?? 1, day: day ?? 1, hour: time?.hour ?? 0,
                                        minute: time?.minute ?? 0, second: time?.second ?? 0,
                                        nanosecond: (time?.microsecond ?? 0) * 1000)
        return calendar.date(from: components)
    }
}

private func pad(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
