import NIOSSL

/// A server's TLS identity from PEM files: the certificate (chain) and its key, and — for
/// mutual TLS — the CA whose certificates peers must present.
///
/// TLS 1.2 at least, as the BCP 195 profiles ask (PS3.15 B.9, B.10); a peer without a
/// certificate from `clientCA`, when one is set, fails the handshake.
public struct TLSFiles: Sendable, Equatable {
    public var certificate: String
    public var key: String
    public var clientCA: String?

    public init(certificate: String, key: String, clientCA: String? = nil) {
        self.certificate = certificate
        self.key = key
        self.clientCA = clientCA
    }

    /// `mutual`: require peers' certificates from `clientCA` (when one is set) — the DICOM TLS
    /// port; HTTPS serves browsers, which have none.
    public func serverConfiguration(mutual: Bool = true) throws(SecurityError) -> TLSConfiguration {
        let chain: [NIOSSLCertificate], privateKey: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificate)
        } catch {
            throw .storage("tls-certificate \(certificate): not a readable PEM certificate (\(error))")
        }
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            throw .storage("tls-key \(key): not a readable PEM private key (\(error))")
        }
        var configuration: TLSConfiguration
        if let clientCA, mutual {
            let roots: [NIOSSLCertificate]
            do {
                roots = try NIOSSLCertificate.fromPEMFile(clientCA)
            } catch {
                throw .storage("tls-client-ca \(clientCA): not a readable PEM certificate (\(error))")
            }
            configuration = .makeServerConfigurationWithMTLS(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey),
                                                             trustRoots: .certificates(roots))
        } else {
            configuration = .makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        }
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }
}
