import Foundation

/// Where a bucket is: the service's endpoint, the bucket's name and region, and whether the
/// bucket goes in the path (`http://host/bucket/key`: MinIO, Ceph, moto) or in the host name
/// (`https://bucket.host/key`: AWS).
public struct S3Location: Sendable, Equatable {
    public enum Addressing: String, Sendable { case path, virtualHosted = "virtual-hosted" }

    public var scheme: String
    public var host: String
    public var port: Int?
    public var bucket: String
    public var region: String
    public var addressing: Addressing

    /// `endpoint` as "http://127.0.0.1:9000" or "https://s3.eu-west-1.amazonaws.com"; nil when
    /// it is not an http(s) URL with a host.
    public init?(endpoint: String, bucket: String, region: String = "us-east-1", addressing: Addressing = .path) {
        guard let url = URLComponents(string: endpoint), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = url.host, !host.isEmpty, !bucket.isEmpty else { return nil }
        self.scheme = scheme
        self.host = host
        self.port = url.port
        self.bucket = bucket
        self.region = region
        self.addressing = addressing
    }

    /// The Host header: the host, and the port when it is not the scheme's own.
    var hostHeader: String {
        let name = addressing == .virtualHosted ? "\(bucket).\(host)" : host
        guard let port, port != (scheme == "https" ? 443 : 80) else { return name }
        return "\(name):\(port)"
    }

    /// The path of `key` (not yet encoded); "" is the bucket itself.
    func path(of key: String) -> String {
        addressing == .virtualHosted ? "/\(key)" : "/\(bucket)" + (key.isEmpty ? "" : "/\(key)")
    }

    /// The URL to send to, path and query encoded as they are signed.
    func url(of key: String, query: [(name: String, value: String)] = []) -> String {
        let base = "\(scheme)://\(hostHeader)\(SigV4.encode(path(of: key), keepingSlashes: true))"
        return query.isEmpty ? base : base + "?" + SigV4.canonicalQuery(query)
    }
}
