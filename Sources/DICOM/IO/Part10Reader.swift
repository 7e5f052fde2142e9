extension DICOMFile {
    /// Reads a file. With `options.bulkDataThreshold` set, large binary values stay in
    /// the file and memory stays bounded whatever its size.
    public init(path: String, options: ReadOptions = .strict) throws(DICOMError) {
        try self.init(file: try OpenFile(path: path), options: options)
    }

    /// Reads an open file from its start; with `options.bulkDataThreshold` set the file
    /// stays open for the values left in it.
    public init(file: OpenFile, options: ReadOptions = .strict) throws(DICOMError) {
        try self.init(reader: ByteReader(file: file, startingAt: 0, length: file.size), options: options)
        if options.bulkDataThreshold != nil { bulkDataFile = file }
    }

    /// Reads a file from memory.
    public init(bytes: [UInt8], options: ReadOptions = .strict) throws(DICOMError) {
        try self.init(reader: ByteReader(bytes: bytes), options: options)
    }

    /// The header only: everything before the pixel data, which is not read.
    public static func readHeader(path: String, mode: ReadOptions.Mode = .strict) throws(DICOMError) -> DICOMFile {
        try DICOMFile(path: path, options: ReadOptions(mode: mode, stopBeforePixelData: true))
    }

    private init(reader: ByteReader, options: ReadOptions) throws(DICOMError) {
        var reader = reader
        let magic = Array("DICM".utf8)
        var preamble: [UInt8]?
        var hasMeta: Bool
        if let head = try reader.peek(132), Array(head[128..<132]) == magic {
            preamble = Array(head[0..<128])
            try reader.skip(132)
            hasMeta = true
        } else if !options.isLenient {
            throw DICOMError(.notPart10, offset: 128, "no \"DICM\" prefix after a 128-byte preamble (PS3.10 7.1); read leniently for a bare data set")
        } else if let head = try reader.peek(4), Array(head) == magic {
            try reader.skip(4)
            hasMeta = true
        } else if let head = try reader.peek(2), head.first == 0x02, head.last == 0x00 {
            hasMeta = true
        } else {
            hasMeta = false
        }

        var fileMeta = DataSet()
        if hasMeta {
            var metaParser = DataSetParser(reader: reader, explicitVR: true, bigEndian: false, options: options)
            fileMeta = try metaParser.parseDataSet(until: .group(0x0002))
            reader = metaParser.reader
        }

        let syntax: TransferSyntax
        if let uid = fileMeta[.transferSyntaxUID]?.bytes.map(trimmedASCII), !uid.isEmpty {
            if let known = TransferSyntax(uid: uid) {
                syntax = known
            } else if options.isLenient {
                syntax = TransferSyntax(uid: uid, isExplicitVR: true, isEncapsulated: true)
            } else {
                throw DICOMError(.unsupportedTransferSyntax, tag: .transferSyntaxUID, "transfer syntax \(uid) is not in the standard")
            }
        } else if options.isLenient {
            syntax = try Self.guessTransferSyntax(&reader)
        } else {
            throw DICOMError(.invalidFileMeta, tag: .transferSyntaxUID, "the file meta information has no transfer syntax UID (PS3.10 7.1)")
        }

        var deflated: [UInt8]?
        if syntax.isDeflated {
            if let remaining = reader.remaining, remaining <= DICOMFile.keptDeflatedStreamLimit {
                // Kept, so that an unchanged data set is written back byte for byte: zlib
                // does not reproduce another writer's compression.
                deflated = try reader.bytes(remaining)
                reader = ByteReader(bytes: deflated ?? [])
            }
            reader = try ByteReader(inflating: reader, hasZlibHeader: isZlibWrapped(try reader.peek(2)), limit: options.maximumInflatedLength)
        }
        var explicitVR = syntax.isExplicitVR
        if options.isLenient, let head = try reader.peek(6) {
            // Some writers declare one VR encoding and use the other: trust the bytes.
            explicitVR = VR(byte0: head[head.startIndex + 4], byte1: head[head.startIndex + 5]) != nil
        }
        var parser = DataSetParser(reader: reader, explicitVR: explicitVR, bigEndian: syntax.isBigEndian, options: options)
        let dataSet = try parser.parseDataSet(until: .stream)
        self.init(preamble: preamble, fileMeta: fileMeta, dataSet: dataSet, transferSyntax: syntax)
        pixelDataOffset = parser.pixelDataOffset
        deflatedAsRead = deflated
    }

    /// A bare data set's encoding, judged from its first element: whether a VR follows
    /// the tag, and which byte order makes the group number small.
    private static func guessTransferSyntax(_ reader: inout ByteReader) throws(DICOMError) -> TransferSyntax {
        guard let head = try reader.peek(8).map(Array.init) else {
            throw DICOMError(.notDICOM, offset: reader.offset, "too short to hold a data element")
        }
        let little = UInt16(head[1]) << 8 | UInt16(head[0])
        let big = UInt16(head[0]) << 8 | UInt16(head[1])
        let explicit = VR(byte0: head[4], byte1: head[5]) != nil
        // A data set starts with its lowest group: identifying (0008), patient (0010) and
        // the like. Anything else (a command group, text) is not taken for DICOM.
        guard (0x0001...0x00FF).contains(min(little, big)) else {
            throw DICOMError(.notDICOM, offset: reader.offset, "neither a Part 10 file nor a data set: it does not start with a DICOM group")
        }
        if big < little {
            guard explicit else {
                throw DICOMError(.notDICOM, offset: reader.offset, "neither a Part 10 file nor a data set in a known encoding")
            }
            return .explicitVRBigEndian
        }
        return explicit ? .explicitVRLittleEndian : .implicitVRLittleEndian
    }
}

/// Whether a deflated stream carries an RFC 1950 (zlib) header: CMF 0x?8 and a check
/// on both bytes. PS3.5 A.5 wants raw deflate; some writers wrap it all the same.
func isZlibWrapped(_ head: ArraySlice<UInt8>?) -> Bool {
    guard let head, head.count == 2 else { return false }
    return head.first! & 0x0F == 8 && (UInt16(head.first!) << 8 | UInt16(head.last!)) % 31 == 0
}

/// ASCII text with trailing NUL and space padding and leading spaces removed: UIDs, AE
/// titles and the like, in files and in PDUs alike (PS3.5 6.2).
public func trimmedASCII(_ bytes: some BidirectionalCollection<UInt8>) -> String {
    var slice = bytes[...]
    while let last = slice.last, last == 0 || last == 0x20 { slice = slice.dropLast() }
    while slice.first == 0x20 { slice = slice.dropFirst() }
    return String(decoding: slice, as: UTF8.self)
}

extension DICOMFile {
    /// The file meta group at the start of a Part 10 stream (PS3.10 7.1), read from the bytes
    /// that have arrived so far: nil while it may not be whole — it is whole once the group of
    /// the data set's first tag has arrived. `length` counts the preamble and "DICM" too: the data set
    /// starts there. Throws when the bytes are not the start of a Part 10 file.
    public static func fileMeta(atStartOf bytes: [UInt8]) throws(DICOMError) -> (fileMeta: DataSet, length: Int)? {
        guard bytes.count >= 132 else { return nil }
        guard Array(bytes[128..<132]) == Array("DICM".utf8) else {
            throw DICOMError(.notPart10, offset: 128, "no \"DICM\" prefix after a 128-byte preamble (PS3.10 7.1)")
        }
        var parser = DataSetParser(reader: ByteReader(bytes: Array(bytes[132...])), explicitVR: true, bigEndian: false, options: .strict)
        let fileMeta: DataSet
        do {
            fileMeta = try parser.parseDataSet(until: .group(0x0002))
        } catch where error.code == .truncated || error.code == .lengthPastEnd {
            return nil // it goes on in bytes yet to come
        }
        // It ended where the bytes did, or with one byte of a tag: the next may still be its own.
        guard 132 + parser.reader.offset + 2 <= bytes.count else { return nil }
        return (fileMeta, 132 + parser.reader.offset)
    }
}
