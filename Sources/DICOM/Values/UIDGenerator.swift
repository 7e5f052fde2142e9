import Foundation

/// New UIDs under the root 2.25, whose next component is a random UUID as one decimal
/// integer (PS3.5 B.2): unique without a registered organization root.
public enum UIDGenerator {
    public static func make() -> String {
        let uuid = UUID().uuid
        var bytes = withUnsafeBytes(of: uuid) { Array($0) }
        // The 128-bit big-endian number in decimal, by long division by 10.
        var digits: [Character] = []
        while bytes.contains(where: { $0 != 0 }) {
            var remainder = 0
            for index in bytes.indices {
                let value = remainder << 8 | Int(bytes[index])
                bytes[index] = UInt8(value / 10)
                remainder = value % 10
            }
            digits.append(Character(String(remainder)))
        }
        return "2.25." + (digits.isEmpty ? "0" : String(digits.reversed()))
    }
}
