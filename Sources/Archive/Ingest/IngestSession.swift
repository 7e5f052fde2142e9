/// One instance arriving as a stream of fragments (a C-STORE's data set, in the presentation
/// context's transfer syntax; a STOW-RS part's, after its file meta group): staged behind Lifeboat's own meta group as it arrives, then
/// ingested whole. Refused, failed or cancelled, it leaves nothing behind, not even an empty file.
public final class IngestSession: Sendable {
    let ingestor: Ingestor
    let staging: StagingFile
    let expected: Ingestor.Expectation
    let provenance: Provenance

    /// Opens a session for the instance `expected` names, sent in `transferSyntaxUID`.
    public init(ingestor: Ingestor, expecting expected: Ingestor.Expectation, transferSyntaxUID: String,
                provenance: Provenance) throws(IngestError) {
        let header: [UInt8]
        do {
            header = try BlobHeader.bytes(sopClassUID: expected.sopClassUID, sopInstanceUID: expected.sopInstanceUID,
                                          transferSyntaxUID: transferSyntaxUID)
        } catch {
            throw IngestError(.cannotUnderstand, "the request's UIDs cannot make a file meta group: \(error)")
        }
        let staging: StagingFile
        do {
            staging = try StagingFile(in: ingestor.stagingDirectory)
        } catch {
            ingestor.logger.error("cannot stage an instance", metadata: ["instance": "\(expected.sopInstanceUID)", "error": "\(error)"])
            throw IngestError(storing: error)
        }
        do {
            try staging.write(header)
        } catch {
            staging.discard()
            ingestor.logger.error("cannot stage an instance", metadata: ["instance": "\(expected.sopInstanceUID)", "error": "\(error)"])
            throw IngestError(storing: error)
        }
        self.ingestor = ingestor
        self.staging = staging
        self.expected = expected
        self.provenance = provenance
    }

    /// The next fragment of the data set.
    public func write(_ fragment: UnsafeRawBufferPointer) throws(IngestError) {
        do {
            try staging.write(fragment)
        } catch {
            throw failed(error)
        }
    }

    public func write(_ fragment: [UInt8]) throws(IngestError) {
        do {
            try staging.write(fragment)
        } catch {
            throw failed(error)
        }
    }

    private func failed(_ error: BlobStoreError) -> IngestError {
        ingestor.logger.error("cannot stage an instance", metadata: ["instance": "\(expected.sopInstanceUID)", "error": "\(error)"])
        return IngestError(storing: error)
    }

    /// The last fragment has been written: checked, made durable and recorded, or refused.
    public func finish() async throws(IngestError) -> IngestReceipt {
        let staged: StagedBlob
        do {
            staged = try staging.finish()
        } catch {
            throw failed(error)
        }
        return try await ingestor.ingestInstance(staged, expecting: expected, provenance: provenance)
    }

    /// The data set will not be whole: nothing of it may remain.
    public func cancel() { staging.discard() }
}
