import Foundation

/// One media range of an Accept header as DICOMweb reads it (PS3.18 8.7.3.5, 8.7.3.4):
/// the media type — a multipart/related range standing for its `type` —, its
/// `transfer-syntax` parameter and its q-value.
struct MediaRange: Equatable {
    var type: String
    var isMultipart = false
    var transferSyntax: String?
    var quality: Double = 1

    /// The ranges of `accept` that accept something, by q-value then as written; `named` is
    /// false when the header is absent or empty. A multipart/related range without a
    /// `type` stands for `multipartDefault`.
    static func parse(_ accept: String?, multipartDefault: String) -> (ranges: [MediaRange], named: Bool) {
        var ranges: [MediaRange] = []
        for item in (accept ?? "").split(separator: ",") {
            let fields = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let media = fields.first?.lowercased(), !media.isEmpty else { continue }
            var parameters: [String: String] = [:]
            for field in fields.dropFirst() {
                let pair = field.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if pair.count == 2 { parameters[pair[0].lowercased()] = pair[1].trimmingCharacters(in: ["\""]) }
            }
            let multipart = media == "multipart/related"
            ranges.append(MediaRange(type: multipart ? (parameters["type"]?.lowercased() ?? multipartDefault) : media, isMultipart: multipart,
                                     transferSyntax: parameters["transfer-syntax"], quality: Double(parameters["q"] ?? "") ?? 1))
        }
        // Stable: equal q-values keep the order they were written in.
        let sorted = ranges.enumerated().filter { $0.element.quality > 0 }
            .sorted { $0.element.quality != $1.element.quality ? $0.element.quality > $1.element.quality : $0.offset < $1.offset }.map(\.element)
        return (sorted, !(accept ?? "").trimmingCharacters(in: .whitespaces).isEmpty)
    }
}
