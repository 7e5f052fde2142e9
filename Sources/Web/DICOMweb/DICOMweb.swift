import Archive
import DICOM
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// DICOMweb (PS3.18) over the archive: QIDO-RS searches, WADO-RS retrieves (instances,
/// metadata, bulk data), STOW-RS stores through the same zero-loss ingest as C-STORE, and
/// WADO-URI. Routes live under `/dicom-web` (WADO-URI at `/wado`).
public struct DICOMweb: Sendable {
    public let engine: QueryEngine
    public let ingestor: Ingestor
    let logger: Logger

    public init(engine: QueryEngine, ingestor: Ingestor, logger: Logger = Logger(label: "lifeboat.dicomweb")) {
        self.engine = engine
        self.ingestor = ingestor
        self.logger = logger
    }

    /// Searches need `query`, retrieves `retrieve`, stores `store` (`Requirement`).
    public func addRoutes(to router: Router<WebContext>, access: HTTPAccess) {
        var web = router.group("dicom-web").add(middleware: Requirement(permission: .query, access: access, action: .query))
        // QIDO-RS (PS3.18 10.6.1)
        web.get("studies") { request, _ in try await search(request, .study, [:]) }
        web.get("series") { request, _ in try await search(request, .series, [:]) }
        web.get("instances") { request, _ in try await search(request, .image, [:]) }
        web.get("studies/:study/series") { request, context in try await search(request, .series, try uids(context, "study")) }
        web.get("studies/:study/instances") { request, context in try await search(request, .image, try uids(context, "study")) }
        web.get("studies/:study/series/:series/instances") { request, context in
            try await search(request, .image, try uids(context, "study", "series"))
        }
        // WADO-RS (PS3.18 10.4.1)
        web = router.group("dicom-web").add(middleware: Requirement(permission: .retrieve, access: access, action: .retrieve))
        web.get("studies/:study") { request, context in try await retrieve(request, try uids(context, "study")) }
        web.get("studies/:study/series/:series") { request, context in try await retrieve(request, try uids(context, "study", "series")) }
        web.get("studies/:study/series/:series/instances/:instance") { request, context in
            try await retrieve(request, try uids(context, "study", "series", "instance"))
        }
        web.get("studies/:study/metadata") { request, context in try await metadata(request, try uids(context, "study")) }
        web.get("studies/:study/series/:series/metadata") { request, context in try await metadata(request, try uids(context, "study", "series")) }
        web.get("studies/:study/series/:series/instances/:instance/metadata") { request, context in
            try await metadata(request, try uids(context, "study", "series", "instance"))
        }
        web.get("studies/:study/series/:series/instances/:instance/bulk/**") { request, context in
            try await bulkData(request, try uids(context, "study", "series", "instance"), path: context.parameters.getCatchAll())
        }
        let instance = "studies/:study/series/:series/instances/:instance"
        web.get("\(instance)/frames/:frames") { request, context in
            try await frames(request, try uids(context, "study", "series", "instance"), list: context.parameters.get("frames") ?? "")
        }
        web.get("\(instance)/rendered") { request, context in
            try await rendered(request, try uids(context, "study", "series", "instance"), frame: nil)
        }
        web.get("\(instance)/frames/:frames/rendered") { request, context in
            try await rendered(request, try uids(context, "study", "series", "instance"), frame: context.parameters.get("frames"))
        }
        web.get("studies/:study/rendered") { request, context in try await renderedAll(request, try uids(context, "study")) }
        web.get("studies/:study/series/:series/rendered") { request, context in try await renderedAll(request, try uids(context, "study", "series")) }
        web.get("studies/:study/thumbnail") { request, context in try await thumbnail(request, try uids(context, "study")) }
        web.get("studies/:study/series/:series/thumbnail") { request, context in try await thumbnail(request, try uids(context, "study", "series")) }
        web.get("\(instance)/thumbnail") { request, context in try await thumbnail(request, try uids(context, "study", "series", "instance")) }
        // STOW-RS (PS3.18 10.5.1)
        web = router.group("dicom-web").add(middleware: Requirement(permission: .store, access: access, action: .store))
        web.post("studies") { request, context in try await store(request, study: nil, from: context) }
        web.post("studies/:study") { request, context in
            try await store(request, study: try uids(context, "study")[.studyInstanceUID], from: context)
        }
        // WADO-URI (PS3.18 9)
        router.group().add(middleware: Requirement(permission: .retrieve, access: access, action: .retrieve)).get("wado") { request, _ in try await wadoURI(request) }
    }

    /// The UIDs of a path, checked (PS3.5 9.1): a malformed one is a bad request.
    func uids(_ context: some RequestContext, _ names: String...) throws(Problem) -> [Tag: String] {
        let tags: [String: Tag] = ["study": .studyInstanceUID, "series": .seriesInstanceUID, "instance": .sopInstanceUID]
        var result: [Tag: String] = [:]
        for name in names {
            guard let value = context.parameters.get(name), UID.isWellFormed(value) else {
                throw Problem.badRequest("\"\(context.parameters.get(name) ?? "")\" is not a valid UID")
            }
            result[tags[name]!] = value
        }
        return result
    }

    /// Where this server's DICOMweb resources are, as the request reached it.
    /// The URL retrieve and bulk data URLs start with: as the client reached us, which behind
    /// a reverse proxy is what `Forwarded` (RFC 7239) or `X-Forwarded-Proto`/`-Host` say —
    /// the first (client-side) hop, a scheme of http or https and a plain host[:port] only.
    func baseURL(_ request: Request) -> String {
        var scheme = request.uri.scheme?.rawValue ?? "http", host = request.head.authority ?? "localhost"
        let headers = request.headers
        if let forwarded = headers[HTTPField.Name("Forwarded")!]?.split(separator: ",").first {
            for pair in forwarded.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: ["\""]) }
                guard parts.count == 2 else { continue }
                if parts[0].lowercased() == "proto" { scheme = parts[1].lowercased() }
                if parts[0].lowercased() == "host" { host = parts[1] }
            }
        } else {
            if let proto = headers[HTTPField.Name("X-Forwarded-Proto")!]?.split(separator: ",").first { scheme = proto.trimmingCharacters(in: .whitespaces).lowercased() }
            if let forwardedHost = headers[HTTPField.Name("X-Forwarded-Host")!]?.split(separator: ",").first { host = forwardedHost.trimmingCharacters(in: .whitespaces) }
        }
        let hostCharacters = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: ".-:[]"))
        if !["http", "https"].contains(scheme) { scheme = request.uri.scheme?.rawValue ?? "http" }
        if host.isEmpty || host.unicodeScalars.contains(where: { !hostCharacters.contains($0) }) { host = request.head.authority ?? "localhost" }
        return "\(scheme)://\(host)/dicom-web"
    }
}
