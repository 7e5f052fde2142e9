import Archive
import Continuity
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore

/// Lifeboat's HTTP side on one port: the browser viewer (and operations dashboard) at /,
/// DICOMweb under /dicom-web, WADO-URI at /wado, the status and operations API under /api,
/// Prometheus metrics at /metrics, and a health check at /health.
/// Everything but the health check, the viewer's own files and signing in needs an
/// identity with the right role (`HTTPAccess`, `Requirement`).
public struct WebServer: Sendable {
    public var host: String
    /// 0 picks a free port (see `run(onListening:)`).
    public var port: Int
    /// The origin browsers on other sites may call from (a DICOMweb viewer such as OHIF):
    /// nil sends no CORS headers, "*" allows any origin.
    public var corsAllowOrigin: String?
    public let dicomweb: DICOMweb
    /// For the status API under /api; nil leaves it out.
    public let catalog: Catalog?
    /// The token another Lifeboat replicating here must present, and the ingest its copies
    /// go through (not waiting on this site's own quorum); nil: replication is not accepted.
    public let replication: (token: String, ingestor: Ingestor)?
    public let access: HTTPAccess
    /// Serve HTTPS with this (the session cookie is then marked Secure); nil: plain HTTP.
    public var tls: TLSConfiguration?
    /// For the operations dashboard and /metrics (with `catalog`): this node's AE title and
    /// its data directory (for the disk); nil leaves them out.
    public var operations: (node: String, dataDirectory: String)?
    /// Continuity's stores (alerts, downtimes, and replication's), for the notices banner and
    /// the replication status API and, with `operations`, the dashboard; nil leaves them out.
    public var continuity: ContinuityStores?
    /// A connection is closed when this long passes without a request, while its request
    /// headers are unfinished, or while its body makes no progress; not while the answer is
    /// being sent (Hummingbird's idle timeout).
    public var idleTimeout: Duration = .seconds(60)
    /// The most connections at once from one address.
    public var maximumConnectionsPerAddress = 64

    public init(host: String = "0.0.0.0", port: Int = 8080, corsAllowOrigin: String? = nil, dicomweb: DICOMweb, access: HTTPAccess,
                catalog: Catalog? = nil, replication: (token: String, ingestor: Ingestor)? = nil) {
        self.access = access
        self.host = host
        self.port = port
        self.corsAllowOrigin = corsAllowOrigin
        self.dicomweb = dicomweb
        self.catalog = catalog
        self.replication = replication
    }

    public func router() -> Router<WebContext> {
        let router = Router(context: WebContext.self)
        router.add(middleware: ErrorLog(logger: Logger(label: "lifeboat.http")))
        if let origin = corsAllowOrigin {
            router.add(middleware: CORSMiddleware(
                allowOrigin: origin == "*" ? .all : .custom(origin),
                allowHeaders: [.accept, .authorization, .contentType, .origin, .csrfToken],
                allowMethods: [.get, .post, .head, .options],
                exposedHeaders: ["Content-Type", "Content-Length", "Content-Location"]
            ))
        }
        router.get("health") { _, _ in "ok\n" }
        SessionAPI(access: access).addRoutes(to: router)
        dicomweb.addRoutes(to: router, access: access)
        if let catalog {
            AuditAPI(access: access, catalog: catalog).addRoutes(to: router)
            if let continuity {
                StatusAPI(replicas: continuity.replication).addRoutes(to: router, access: access)
                NoticesAPI(downtimes: continuity.downtimes, access: access).addRoutes(to: router)
                if let operations {
                    OperationsAPI(catalog: catalog, stores: continuity, node: operations.node, dataDirectory: operations.dataDirectory)
                        .addRoutes(to: router, access: access)
                }
            }
        }
        if let replication { ReplicaReceiver(ingestor: replication.ingestor, token: replication.token, audit: access.audit).addRoutes(to: router) }
        UIAssets.addRoutes(to: router)
        return router
    }

    /// Serves until the task is cancelled; `onListening` gets the port once bound.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let logger = Logger(label: "lifeboat.http")
        let counts = ConnectionCap.Counts(limit: maximumConnectionsPerAddress, logger: logger)
        let http1 = HTTPServerBuilder.http1(configuration: .init(additionalChannelHandlers: [ConnectionCap(counts)],
                                                                 idleTimeout: TimeAmount(idleTimeout)))
        let app = Application(
            router: router(),
            server: try tls.map { try .tls(http1, tlsConfiguration: $0) } ?? http1,
            configuration: .init(address: .hostname(host, port: port), serverName: "Lifeboat"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
            logger: logger
        )
        try await app.run()
    }
}
