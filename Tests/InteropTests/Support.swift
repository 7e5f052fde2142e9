import Archive
import Continuity
import DICOM
import DICOMNetwork
import Foundation
import LifeboatServer
import Security
import NIOCore
import TestSupport
import Web

typealias Tag = DICOM.Tag

/// The interop tests' shared pieces: the corpus to send, an in-process Lifeboat SCP, and
/// ways to compare what arrived with what was sent.
enum Interop {
    static let helper = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Helpers/pynetdicom_peer.py").path

    struct CorpusFile: Sendable {
        let path: String
        let sopInstanceUID: String
        let transferSyntax: TransferSyntax
    }

    /// Well-formed Part 10 files from pydicom's set, one per SOP instance UID (several share one).
    static func corpus() throws -> [CorpusFile] {
        let (root, names) = try PydicomData.corpus()
        var seen = Set<String>()
        var files: [CorpusFile] = []
        for name in names where name.hasPrefix("test_files/") || name.hasPrefix("charset_files/") {
            let path = "\(root)/\(name)"
            // A sender needs SOP class and instance in the data set as well as the meta group.
            guard let file = try? DICOMFile(path: path), file.preamble != nil,
                  let uid = file.fileMeta.uid(.mediaStorageSOPInstanceUID), file.dataSet.uid(.sopInstanceUID) == uid,
                  let sopClass = file.fileMeta.uid(.mediaStorageSOPClassUID), file.dataSet.uid(.sopClassUID) == sopClass,
                  file.dataSet[.sopClassUID]?.vr == .UI, // dcmtk cannot find one sent as UN (rtdose_rle.dcm)
                  !seen.contains(uid), !name.contains("truncated") else { continue }
            seen.insert(uid)
            files.append(CorpusFile(path: path, sopInstanceUID: uid, transferSyntax: file.transferSyntax))
        }
        return files
    }

    /// The data set bytes of a Part 10 file: everything after its meta group.
    static func dataSetBytes(_ path: String) throws -> [UInt8] {
        let header = try DICOMFile(path: path, options: .headerOnly)
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
        return Array(bytes.dropFirst(132 + header.fileMeta.encodedLength(explicitVR: true)))
    }

    /// A data set's elements, leaving out what a sender may legitimately change on the way:
    /// trailing padding (FFFC,FFFC), retired group lengths, and whether sequences and items
    /// have defined or undefined lengths (dcmtk re-encodes them, and big endian or deflated
    /// data sets, when it sends).
    static func comparable(_ dataSet: DataSet) -> [DataElement] {
        dataSet.elements.filter { $0.tag != .dataSetTrailingPadding && !$0.tag.isGroupLength }.map { element in
            guard case .sequence(let items) = element.value else { return element }
            let normalized = items.map { Item(dataSet: DataSet(comparable($0.dataSet)), hasUndefinedLength: false) }
            return DataElement(tag: element.tag, vr: element.vr, value: .sequence(normalized), hasUndefinedLength: false)
        }
    }

    /// Runs a Lifeboat SCP — the real archive (store, query, retrieve to `nodes`), in a fresh data directory — on a free
    /// loopback port for the body's duration.
    static func withLifeboat(maximumLength: UInt32 = 256 * 1024, artim: TimeAmount = .seconds(30), idle: TimeAmount = .seconds(60),
                             maximumAssociations: Int = 64, nodes: [DICOMNode] = [],
                             _ body: (Int, LocalArchive) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-interop-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let archive = try LocalArchive(root: directory)
        let query = QueryEngine(catalog: archive.catalog, blobs: archive.blobs, retrieveAETitle: "LIFEBOAT")
        let policy = AcceptorPolicy(aeTitle: "LIFEBOAT", maximumLength: maximumLength)
        let server = DICOMServer(configuration: .init(host: "127.0.0.1", port: 0, policy: policy,
                                                      timeouts: AssociationTimeouts(artim: artim, idle: idle),
                                                      maximumAssociations: maximumAssociations),
                                 services: AssociationServices(store: StoreService(ingestor: archive.ingestor), query: FindService(engine: query),
                                                               retrieve: RetrieveService(engine: query, nodes: nodes),
                                                               commitment: StorageCommitmentService(catalog: archive.catalog)))
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let task = Task { try await server.run { continuation.yield($0) } }
        defer { task.cancel() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw Subprocess.Failure(description: "the server did not start") }
        try await body(port, archive)
    }

    /// Who the HTTP tests sign in as: a service user's API token, and a radiologist's password.
    struct WebLogin: Sendable {
        let token: String
        let user: String
        let password: String
        let auditor: String
        let auditorPassword: String
    }

    /// Runs Lifeboat's HTTP side (DICOMweb) on a free loopback port over a fresh archive for
    /// the body's duration, with a service user (its token), a radiologist and an auditor (passwords).
    static func withDICOMweb(_ body: (Int, LocalArchive, WebLogin) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-web-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let archive = try LocalArchive(root: directory)
        let engine = QueryEngine(catalog: archive.catalog, blobs: archive.blobs, retrieveAETitle: "LIFEBOAT")
        let security = try NodeSecurity(data: directory, bcryptCost: 4)
        try security.users.add(name: "viewer-service", role: .service, password: "service password")
        try security.users.add(name: "dr.reader", role: .radiologist, password: "reads studies all day")
        try security.users.add(name: "auditor", role: .auditor, password: "checks who looked")
        let login = WebLogin(token: try security.users.createToken(for: "viewer-service", label: "interop").secret, user: "dr.reader",
                             password: "reads studies all day", auditor: "auditor", auditorPassword: "checks who looked")
        var web = WebServer(host: "127.0.0.1", port: 0, dicomweb: DICOMweb(engine: engine, ingestor: archive.ingestor),
                            access: HTTPAccess(users: security.users, audit: security.audit), catalog: archive.catalog)
        web.continuity = try ContinuityStores(pool: archive.catalog.pool) // the notices banner
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let task = Task { try await web.run { continuation.yield($0) } }
        defer { task.cancel() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw Subprocess.Failure(description: "the HTTP server did not start") }
        try await body(port, archive, login)
    }

    static let dicomwebHelper = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Helpers/dicomweb_peer.py").path

    /// The stored file of an instance's newest version; nil if it did not arrive.
    static func stored(_ sopInstanceUID: String, in archive: LocalArchive) async throws -> String? {
        guard let version = try await archive.catalog.versions(of: sopInstanceUID).last else { return nil }
        return archive.blobs.localPath(of: version.blob)
    }
}
