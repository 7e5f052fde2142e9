import NIOCore

/// Reassembles DIMSE messages from presentation data values (PS3.8 annex E, PS3.7 6.3):
/// a command's fragments are gathered (a command set is small), a data set's fragments are
/// handed on as they arrive so that it is never held whole.
public struct MessageAssembler: Sendable {
    public enum Event: Sendable, Equatable {
        /// A whole command set has arrived on a presentation context.
        case command(contextID: UInt8, CommandSet)
        /// A fragment of the data set that follows the last command.
        case dataFragment(contextID: UInt8, ByteBuffer, isLast: Bool)
    }

    /// The longest command set accepted; real ones are a few hundred bytes.
    public static let maximumCommandLength = 64 * 1024

    private enum State: Sendable {
        case awaitingCommand
        case command(contextID: UInt8, ByteBuffer)
        case data(contextID: UInt8)
    }

    private var state: State = .awaitingCommand

    public init() {}

    /// Whether a message is part way through: a release or a new command now is an error.
    public var isIdle: Bool {
        if case .awaitingCommand = state { return true }
        return false
    }

    public mutating func receive(_ value: PresentationDataValue) throws -> [Event] {
        switch (state, value.isCommand) {
        case (.awaitingCommand, true):
            state = .command(contextID: value.presentationContextID, ByteBuffer())
            return try receive(value)
        case (.command(let id, var buffer), true):
            guard id == value.presentationContextID else {
                throw DIMSEError(.outOfSequence, "a command fragment on presentation context \(value.presentationContextID) inside a command on \(id)")
            }
            guard buffer.readableBytes + value.fragment.readableBytes <= Self.maximumCommandLength else {
                throw DIMSEError(.malformedCommand, "a command set longer than \(Self.maximumCommandLength) bytes")
            }
            var fragment = value.fragment
            buffer.writeBuffer(&fragment)
            guard value.isLastFragment else {
                state = .command(contextID: id, buffer)
                return []
            }
            let command = try CommandSet(decoding: Array(buffer.readableBytesView))
            state = command.hasDataSet ? .data(contextID: id) : .awaitingCommand
            return [.command(contextID: id, command)]
        case (.data(let id), false):
            guard id == value.presentationContextID else {
                throw DIMSEError(.outOfSequence, "a data fragment on presentation context \(value.presentationContextID) for a command on \(id)")
            }
            if value.isLastFragment { state = .awaitingCommand }
            return [.dataFragment(contextID: id, value.fragment, isLast: value.isLastFragment)]
        case (.awaitingCommand, false):
            throw DIMSEError(.outOfSequence, "a data fragment with no command before it")
        case (.command, false):
            throw DIMSEError(.outOfSequence, "a data fragment before the command's last fragment")
        case (.data, true):
            throw DIMSEError(.outOfSequence, "a command fragment before the data set's last fragment")
        }
    }
}

/// Splits a message into P-DATA-TF PDUs that fit the peer's maximum length (PS3.8 9.3.5,
/// D.1): one presentation data value each, of at most `maximumLength - 6` bytes.
public struct MessageFragmenter: Sendable {
    /// The peer's maximum P-DATA-TF variable length; 0 means unlimited (PS3.8 D.1).
    public let maximumLength: UInt32
    /// Used when the peer sets no limit: 128 KiB, the PDU size dcmtk's storescu sends such a
    /// peer. Larger ones cost the receiver more: pynetdicom spends about a fifth more CPU on
    /// a 512 KiB instance in 1 MiB PDUs than in 128 KiB ones (Benchmarks/failback-benchmark.sh).
    public static let unlimitedFragmentLength = 1 << 17

    public init(maximumLength: UInt32) { self.maximumLength = maximumLength }

    /// The largest fragment a PDV can carry.
    public var fragmentLength: Int {
        maximumLength == 0 ? Self.unlimitedFragmentLength : max(1, Int(maximumLength) - 6)
    }

    /// The PDUs of `bytes` on `contextID`; the last is marked last when `isLast`.
    public func pdus(of bytes: ByteBuffer, contextID: UInt8, isCommand: Bool, isLast: Bool = true) -> [PDataTF] {
        var remaining = bytes
        var pdus: [PDataTF] = []
        repeat {
            let fragment = remaining.readSlice(length: min(fragmentLength, remaining.readableBytes))!
            let last = isLast && remaining.readableBytes == 0
            pdus.append(PDataTF(values: [PresentationDataValue(presentationContextID: contextID, isCommand: isCommand, isLastFragment: last, fragment: fragment)]))
        } while remaining.readableBytes > 0
        return pdus
    }

    /// Sends a data set that comes a piece at a time from `next` (nil after the last) as the
    /// PDUs of each piece in turn; a piece is read one ahead, so that the message's last PDV is
    /// marked last (PS3.8 E.2).
    public func sendData(contextID: UInt8, from next: () throws -> ByteBuffer?, _ send: ([PDataTF]) async throws -> Void) async throws {
        var pending = try next() ?? ByteBuffer()
        while true {
            let following = try next()
            try await send(pdus(of: pending, contextID: contextID, isCommand: false, isLast: following == nil))
            guard let following else { return }
            pending = following
        }
    }
}
