#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension DICOMFile {
    /// Writes the file: preamble and "DICM" (when it has a preamble), the meta group with
    /// its group length brought up to date, then the data set in `transferSyntax`.
    /// A file read and written unchanged comes out byte for byte the same.
    public func write(to sink: ByteSink) throws(DICOMError) {
        var meta = DataSetEncoder(sink: sink, explicitVR: true, bigEndian: false, bulkData: nil)
        if let preamble {
            guard preamble.count == 128 else {
                throw DICOMError(.unencodable, "the preamble has \(preamble.count) bytes, not 128 (PS3.10 7.1)")
            }
            try meta.emit(preamble + Array("DICM".utf8))
        }
        var fileMeta = self.fileMeta
        if fileMeta.contains(.fileMetaInformationGroupLength) {
            var rest = fileMeta
            rest[.fileMetaInformationGroupLength] = nil
            let length = UInt32(DataSetEncoder.length(of: rest, explicitVR: true))
            fileMeta[.fileMetaInformationGroupLength] = DataElement(
                tag: .fileMetaInformationGroupLength, vr: .UL,
                bytes: [UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 24)])
        }
        try meta.encode(fileMeta)
        try meta.flush()

        if transferSyntax.isDeflated {
            try writeDeflated(to: sink)
        } else {
            var body = DataSetEncoder(sink: sink, explicitVR: transferSyntax.isExplicitVR,
                                      bigEndian: transferSyntax.isBigEndian, bulkData: bulkDataFile)
            try body.encode(dataSet)
            try body.flush()
            try sink.finish()
        }
    }

    /// The data set deflated (PS3.5 A.5); the compressed bytes as read when it decodes to
    /// exactly what this data set encodes to.
    private func writeDeflated(to sink: ByteSink) throws(DICOMError) {
        let plain = MemorySink()
        var body = DataSetEncoder(sink: plain, explicitVR: true, bigEndian: false, bulkData: bulkDataFile)
        try body.encode(dataSet)
        try body.flush()
        if let original = deflatedAsRead, try Self.inflates(original, to: plain.bytes) {
            try sink.write(original[...])
            try sink.finish()
            return
        }
        let deflating = try DeflatingSink(into: sink)
        try deflating.write(plain.bytes[...])
        try deflating.finish()
    }

    /// Whether `compressed` inflates to exactly `expected`, reading no more than that.
    private static func inflates(_ compressed: [UInt8], to expected: [UInt8]) throws(DICOMError) -> Bool {
        let source = ByteReader(bytes: compressed)
        var reader = try ByteReader(inflating: source, hasZlibHeader: isZlibWrapped(compressed.prefix(2)), limit: expected.count + 1)
        guard let decoded = try? reader.bytes(expected.count) else { return false }
        return decoded == expected && (try? reader.atEnd()) == true
    }

    /// The whole file in memory.
    public func serialized() throws(DICOMError) -> [UInt8] {
        let sink = MemorySink()
        try write(to: sink)
        return sink.bytes
    }

    /// Writes the file at `path`, replacing what is there. Not durable by itself: the
    /// archive fsyncs and renames.
    public func write(toPath path: String) throws(DICOMError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw DICOMError(.io, "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        try write(to: FileSink(fileDescriptor: fd, path: path))
    }
}

extension DICOMFile {
    /// The preamble, "DICM" and the meta group alone: what precedes a data set that is
    /// streamed in separately (a received C-STORE, say).
    public func fileMetaBytes() throws(DICOMError) -> [UInt8] {
        var headerOnly = self
        headerOnly.dataSet = DataSet()
        // The meta group keeps its transfer syntax UID; the empty body is written plainly,
        // so that a deflated syntax adds no compressed end marker.
        headerOnly.transferSyntax = .explicitVRLittleEndian
        headerOnly.deflatedAsRead = nil
        return try headerOnly.serialized()
    }
}
