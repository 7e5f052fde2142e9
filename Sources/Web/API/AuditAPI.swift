import Archive
import Foundation
import Hummingbird
import Security

/// The audit trail for auditors (needs `audit`; each search is itself recorded):
///
///     GET /api/audit?patient=ID&user=NAME&action=view&from=2026-11-01&to=2026-11-22&failures=true&limit=500
///
/// `patient` finds every record naming the patient's ID or one of their studies or
/// instances: who stored, searched, viewed or moved their images. Newest first.
struct AuditAPI: Sendable {
    let access: HTTPAccess
    let catalog: Catalog

    func addRoutes(to router: Router<WebContext>) {
        router.group("api").add(middleware: Requirement(permission: .audit, access: access, action: .auditRead)).get("audit") { request, _ -> Response in
            let parameters = request.uri.queryParameters
            var search = AuditSearch()
            if let user = parameters["user"].map(String.init), !user.isEmpty { search.actor = user }
            if let name = parameters["action"].map(String.init), !name.isEmpty {
                guard let action = AuditRecord.Action(rawValue: name) else { throw Problem.badRequest("no action \"\(name)\"") }
                search.action = action
            }
            if let from = parameters["from"].map(String.init), !from.isEmpty { search.from = from }
            // A date alone means the whole of that day.
            if let to = parameters["to"].map(String.init), !to.isEmpty { search.to = to.count == 10 ? to + "T24" : to }
            search.onlyFailures = parameters["failures"] == "true"
            if let limit = parameters["limit"].flatMap({ Int(String($0)) }) {
                guard (1...10_000).contains(limit) else { throw Problem.badRequest("limit is from 1 to 10000") }
                search.limit = limit
            }
            if let patient = parameters["patient"].map(String.init), !patient.isEmpty {
                let (studies, instances) = try await catalog.identifiers(ofPatient: patient)
                search.identifiers = Set([patient] + studies + instances)
            }
            let records = try search.run(path: access.audit.path)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(data: try encoder.encode(records))))
        }
    }
}
