extension DataSet {
    /// The data set encoded on its own, without preamble or meta group: a DIMSE command
    /// set (Implicit VR Little Endian, PS3.7 6.3.1) or a data set on the wire. Values left in
    /// their file are copied from `bulkData`.
    public func encoded(in syntax: TransferSyntax = .implicitVRLittleEndian, bulkDataFrom bulkData: OpenFile? = nil) throws(DICOMError) -> [UInt8] {
        let sink = MemorySink()
        let target: ByteSink = syntax.isDeflated ? try DeflatingSink(into: sink) : sink
        var encoder = DataSetEncoder(sink: target, explicitVR: syntax.isExplicitVR, bigEndian: syntax.isBigEndian, bulkData: bulkData)
        try encoder.encode(self)
        try encoder.flush()
        try target.finish()
        return sink.bytes
    }

    /// A data set read from bytes holding only it, in `syntax`.
    public init(decoding bytes: [UInt8], in syntax: TransferSyntax = .implicitVRLittleEndian, options: ReadOptions = .strict) throws(DICOMError) {
        var reader = ByteReader(bytes: bytes)
        if syntax.isDeflated {
            reader = try ByteReader(inflating: reader, hasZlibHeader: isZlibWrapped(try reader.peek(2)), limit: options.maximumInflatedLength)
        }
        var parser = DataSetParser(reader: reader, explicitVR: syntax.isExplicitVR, bigEndian: syntax.isBigEndian, options: options)
        self = try parser.parseDataSet(until: .stream)
    }

    /// The encoded length of the data set, as a group length or item length gives it.
    public func encodedLength(explicitVR: Bool) -> Int { DataSetEncoder.length(of: self, explicitVR: explicitVR) }
}
