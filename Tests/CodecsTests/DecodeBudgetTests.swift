import Codecs
import Testing

/// Frames decoded at once hold a bounded amount of memory together: past the budget a decode
/// is refused as busy (asked again later), never queued on a thread that must not block.
@Suite struct DecodeBudgetTests {
    @Test func aDecodeThatWouldPassTheBudgetIsRefusedAsBusy() throws {
        let budget = DecodeBudget(bytes: 30_000)
        let layout = FrameDecoderTests.mono // 64 x 64 x 16 bits: 8,192 bytes, 24,576 held
        let busy = #expect(throws: CodecError.self) {
            try budget.holding(10_000) { () throws(CodecError) in
                _ = try FrameDecoder.decode([1, 2, 3], transferSyntaxUID: "1.2.840.10008.1.2.5", layout: layout, budget: budget)
            }
        }
        #expect(busy?.isBusy == true && busy?.description.contains("busy") == true, "\(String(describing: busy))")
        #expect(budget.inUse == 0, "what was held is given back")
        // Alone, the same decode goes (and fails only for its bitstream, not for memory).
        let own = #expect(throws: CodecError.self) {
            _ = try FrameDecoder.decode([1, 2, 3], transferSyntaxUID: "1.2.840.10008.1.2.5", layout: layout, budget: budget)
        }
        #expect(own?.isBusy == false)
        #expect(budget.inUse == 0)
    }

    @Test func oneFrameLargerThanTheBudgetGoesWhenNothingElseIsDecoded() throws {
        let budget = DecodeBudget(bytes: 100)
        #expect(try budget.holding(1_000) { () throws(CodecError) in budget.inUse } == 1_000)
        #expect(budget.inUse == 0)
    }
}
