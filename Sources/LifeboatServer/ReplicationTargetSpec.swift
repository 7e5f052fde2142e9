import Archive
import DICOMNetwork
import Foundation
import Replication
import S3
import Yams

/// One replication target as the configuration file describes it (`replication-targets`).
public struct ReplicationTargetSpec: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case s3(S3Settings)
        case fileSystem(path: String)
        case dicom(DICOMNode)
        /// Another Lifeboat's HTTP base URL, and the environment variable holding its token.
        case lifeboat(url: String, tokenVariable: String)
    }

    public struct S3Settings: Sendable, Equatable {
        public var endpoint: String
        public var bucket: String
        public var region = "us-east-1"
        public var addressing = S3Location.Addressing.path
        public var prefix = ""
        /// "AES256" or "aws:kms"; nil: the bucket's default.
        public var encryption: String?
        public var kmsKeyID: String?
        public var objectLock: S3Client.PutOptions.LockMode?
        public var objectLockDays = 0
        /// The environment variables the keys are read from.
        public var accessKeyIDVariable = "AWS_ACCESS_KEY_ID"
        public var secretAccessKeyVariable = "AWS_SECRET_ACCESS_KEY"
    }

    public var name: String
    public var kind: Kind
    /// At most this many versions on their way to the target at once.
    public var concurrency: Int
    /// Whether its confirmations count toward `replication-quorum`.
    public var sync = true

    /// What `lifeboat config example` shows for `replication-targets`.
    static let help = """
        Where copies go, each as soon as it is stored; a target added later first gets everything
        already stored, newest study first. A list; each entry has a name and a type (and may say
        sync: false to leave it out of replication-quorum):
          - name: offsite                 # s3: AWS, MinIO, Ceph RGW...
            type: s3
            endpoint: https://s3.eu-west-1.amazonaws.com
            bucket: hospital-archive
            region: eu-west-1             # default us-east-1
            addressing: virtual-hosted    # or path (default; MinIO, Ceph)
            prefix: site-a                # keys start with it (default: none)
            encryption: aws:kms           # or AES256 (default: the bucket's own setting)
            kms-key-id: alias/lifeboat    # with aws:kms (default: the account's key)
            object-lock: compliance       # or governance: each object retained, write-once
            object-lock-days: 3650        # with object-lock
            access-key-id-env: AWS_ACCESS_KEY_ID          # the variables the keys are read from
            secret-access-key-env: AWS_SECRET_ACCESS_KEY  # (these are the defaults)
            concurrency: 8                # uploads at once (default 8; filesystem and lifeboat 4, dicom 1 association)
          - name: nas                     # filesystem: a mounted NAS share or external disk
            type: filesystem
            path: /mnt/nas/lifeboat
          - name: pacs                    # dicom: any DICOM node, by C-STORE
            type: dicom
            node: PACS@10.0.0.5:104
          - name: site-b                  # lifeboat: a second Lifeboat (accept-replication on there)
            type: lifeboat
            url: https://lifeboat-b.example.org:8080
            token-env: LIFEBOAT_REPLICATION_TOKEN  # the variable holding its token (default)
        """

    static let commonKeys: Set<String> = ["name", "type", "concurrency", "sync"]
    static let keysByType: [String: Set<String>] = [
        "s3": ["endpoint", "bucket", "region", "addressing", "prefix", "encryption", "kms-key-id", "object-lock", "object-lock-days",
               "access-key-id-env", "secret-access-key-env"],
        "filesystem": ["path"],
        "dicom": ["node"],
        "lifeboat": ["url", "token-env"],
    ]

    /// A list of targets from the configuration file; every mistake named with its line.
    static func list(_ node: Node) throws -> [ReplicationTargetSpec] {
        guard let sequence = node.sequence else { throw ConfigurationError("expected a list of targets, each with a name and a type") }
        var specs: [ReplicationTargetSpec] = []
        for item in sequence {
            let spec = try parse(item)
            guard !specs.contains(where: { $0.name == spec.name }) else { throw ConfigurationError("two targets are named \"\(spec.name)\"") }
            specs.append(spec)
        }
        return specs
    }

    static func parse(_ node: Node) throws -> ReplicationTargetSpec {
        let line = node.mark?.line ?? 0
        guard let mapping = node.mapping else { throw ConfigurationError("a target (line \(line)) is not a set of keys and values") }
        var values: [String: String] = [:]
        for (key, value) in mapping {
            guard let name = key.string, let text = value.scalar?.string else {
                throw ConfigurationError("target key \"\(key.string ?? "?")\" (line \(key.mark?.line ?? line)) needs a single value")
            }
            values[name] = text
        }
        guard let name = values["name"], !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw ConfigurationError("a target (line \(line)) needs a name of letters, digits, - _ and .")
        }
        guard let type = values["type"], let allowed = keysByType[type] else {
            throw ConfigurationError("target \(name): type must be s3, filesystem, dicom or lifeboat")
        }
        if let unknown = values.keys.sorted().first(where: { !commonKeys.contains($0) && !allowed.contains($0) }) {
            throw ConfigurationError("target \(name): unknown key \"\(unknown)\" for type \(type); its keys are \((commonKeys.union(allowed)).sorted().joined(separator: ", "))")
        }
        func required(_ key: String) throws -> String {
            guard let value = values[key], !value.isEmpty else { throw ConfigurationError("target \(name): \(key) is required for type \(type)") }
            return value
        }
        func number(_ key: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
            guard let text = values[key] else { return value }
            guard let number = Int(text), range.contains(number) else {
                throw ConfigurationError("target \(name): \(key) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }
        let kind: Kind
        switch type {
        case "s3":
            var s3 = S3Settings(endpoint: try required("endpoint"), bucket: try required("bucket"))
            guard S3Location(endpoint: s3.endpoint, bucket: s3.bucket) != nil else { throw ConfigurationError("target \(name): endpoint must be an http(s) URL") }
            s3.region = values["region"] ?? s3.region
            if let addressing = values["addressing"] {
                guard let value = S3Location.Addressing(rawValue: addressing) else { throw ConfigurationError("target \(name): addressing is path or virtual-hosted") }
                s3.addressing = value
            }
            s3.prefix = values["prefix"] ?? ""
            if let encryption = values["encryption"] {
                guard ["AES256", "aws:kms"].contains(encryption) else { throw ConfigurationError("target \(name): encryption is AES256 or aws:kms") }
                s3.encryption = encryption
            }
            s3.kmsKeyID = values["kms-key-id"]
            if let lock = values["object-lock"] {
                guard let mode = S3Client.PutOptions.LockMode(rawValue: lock.uppercased()) else {
                    throw ConfigurationError("target \(name): object-lock is compliance or governance")
                }
                s3.objectLock = mode
                s3.objectLockDays = try number("object-lock-days", default: 0, in: 1...36500)
                guard values["object-lock-days"] != nil else { throw ConfigurationError("target \(name): object-lock needs object-lock-days") }
            }
            s3.accessKeyIDVariable = values["access-key-id-env"] ?? s3.accessKeyIDVariable
            s3.secretAccessKeyVariable = values["secret-access-key-env"] ?? s3.secretAccessKeyVariable
            kind = .s3(s3)
        case "filesystem":
            kind = .fileSystem(path: try required("path"))
        case "lifeboat":
            let url = try required("url")
            guard let components = URLComponents(string: url), ["http", "https"].contains(components.scheme?.lowercased() ?? ""), components.host != nil else {
                throw ConfigurationError("target \(name): url must be the other Lifeboat's http(s) address")
            }
            kind = .lifeboat(url: url, tokenVariable: values["token-env"] ?? "LIFEBOAT_REPLICATION_TOKEN")
        default:
            let text = try required("node")
            guard let node = DICOMNode(text) else { throw ConfigurationError("target \(name): node \"\(text)\" is not AE@host:port") }
            kind = .dicom(node)
        }
        let concurrency = try number("concurrency", default: ["s3": 8, "dicom": 1][type] ?? 4, in: 1...256)
        var spec = ReplicationTargetSpec(name: name, kind: kind, concurrency: concurrency)
        if let sync = values["sync"] {
            guard let value = ["true": true, "false": false][sync.lowercased()] else { throw ConfigurationError("target \(name): sync is true or false") }
            spec.sync = value
        }
        return spec
    }

    /// One line per target, for the example and for messages.
    var summary: String {
        switch kind {
        case .s3(let s3): "{name: \(name), type: s3, endpoint: \(s3.endpoint), bucket: \(s3.bucket)}"
        case .fileSystem(let path): "{name: \(name), type: filesystem, path: \(path)}"
        case .dicom(let node): "{name: \(name), type: dicom, node: \(node.description)}"
        case .lifeboat(let url, _): "{name: \(name), type: lifeboat, url: \(url)}"
        }
    }

    /// The target itself; S3 keys come from the environment.
    func makeTarget(archive: LocalArchive, aeTitle: AETitle, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> any ReplicationTarget {
        switch kind {
        case .s3, .fileSystem:
            return try makeReadableTarget(environment: environment)
        case .dicom(let node):
            return DICOMNodeTarget(name: name, node: node, callingAETitle: aeTitle, local: archive.blobs, concurrency: concurrency)
        case .lifeboat(let url, let variable):
            guard let token = environment[variable], !token.isEmpty else {
                throw ConfigurationError("target \(name): set \(variable) in the environment to the other Lifeboat's replication token")
            }
            return LifeboatTarget(name: name, baseURL: url, token: token, concurrency: concurrency)
        }
    }

    /// The target as a source to verify and restore from: an s3 or filesystem target, which
    /// keeps manifests and snapshots beside its blobs.
    public func makeReadableTarget(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> any ReadableTarget {
        switch kind {
        case .s3(let s3):
            guard let id = environment[s3.accessKeyIDVariable], !id.isEmpty, let secret = environment[s3.secretAccessKeyVariable], !secret.isEmpty else {
                throw ConfigurationError("target \(name): set \(s3.accessKeyIDVariable) and \(s3.secretAccessKeyVariable) in the environment")
            }
            let location = S3Location(endpoint: s3.endpoint, bucket: s3.bucket, region: s3.region, addressing: s3.addressing)!
            let credentials = S3Credentials(accessKeyID: id, secretAccessKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
            let encryption: S3Client.PutOptions.Encryption? = switch s3.encryption {
            case "AES256": .s3
            case "aws:kms": .kms(keyID: s3.kmsKeyID)
            default: nil
            }
            return S3Target(name: name, client: S3Client(location: location, credentials: credentials), prefix: s3.prefix, encryption: encryption,
                            lock: s3.objectLock.map { ($0, s3.objectLockDays) }, concurrency: concurrency)
        case .fileSystem(let path):
            return try FileSystemTarget(name: name, root: path, concurrency: concurrency)
        case .dicom, .lifeboat:
            throw ConfigurationError("target \(name) keeps no manifests or catalog snapshots: only s3 and filesystem targets can be read back")
        }
    }
}
