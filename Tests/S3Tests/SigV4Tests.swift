import Foundation
@testable import S3
import Testing

/// AWS's published Signature Version 4 examples: two of the general test suite
/// (get-vanilla, get-vanilla-query-order-key-case) and the five worked S3 examples of the
/// S3 API reference (header-based GET object, PUT object, GET bucket lifecycle, list
/// objects; a presigned GET).
@Suite struct SigV4Tests {
    static let suite = SigV4(credentials: S3Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                             region: "us-east-1", service: "service")
    static let suiteDate = Date(timeIntervalSince1970: 1_440_938_160) // 2015-08-30T12:36:00Z
    static let s3 = SigV4(credentials: S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                          region: "us-east-1")
    static let s3Date = Date(timeIntervalSince1970: 1_369_353_600) // 2013-05-24T00:00:00Z
    static let bucketHost = "examplebucket.s3.amazonaws.com"

    static func authorization(_ headers: [(name: String, value: String)]) -> String {
        headers.first { $0.name == "authorization" }?.value ?? ""
    }

    @Test func getVanilla() {
        let headers = Self.suite.sign(.init(method: "GET", host: "example.amazonaws.com", path: "/", payloadSHA256: SigV4.emptyPayloadSHA256),
                                      at: Self.suiteDate)
        #expect(headers.first { $0.name == "x-amz-date" }?.value == "20150830T123600Z")
        #expect(Self.authorization(headers) == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            + "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    @Test func queryParametersAreSortedByName() {
        let request = SigV4.Request(method: "GET", host: "example.amazonaws.com", path: "/", query: [("Param2", "value2"), ("Param1", "value1")],
                                    payloadSHA256: SigV4.emptyPayloadSHA256)
        #expect(Self.authorization(Self.suite.sign(request, at: Self.suiteDate))
            .hasSuffix("Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"))
    }

    @Test func s3GetObjectWithRange() {
        let request = SigV4.Request(method: "GET", host: Self.bucketHost, path: "/test.txt",
                                    headers: [("Range", "bytes=0-9"), ("x-amz-content-sha256", SigV4.emptyPayloadSHA256)],
                                    payloadSHA256: SigV4.emptyPayloadSHA256)
        #expect(Self.authorization(Self.s3.sign(request, at: Self.s3Date)) == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test func s3PutObjectEncodesTheKey() {
        let body = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072" // SHA-256 of "Welcome to Amazon S3."
        let request = SigV4.Request(method: "PUT", host: Self.bucketHost, path: "/test$file.text",
                                    headers: [("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                                              ("x-amz-content-sha256", body)],
                                    payloadSHA256: body)
        #expect(SigV4.canonicalRequest(request).0.hasPrefix("PUT\n/test%24file.text\n\n"))
        #expect(Self.authorization(Self.s3.sign(request, at: Self.s3Date)).hasSuffix(
            "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"))
    }

    @Test func s3GetBucketLifecycleSignsAnEmptyParameter() {
        let request = SigV4.Request(method: "GET", host: Self.bucketHost, path: "/", query: [("lifecycle", "")],
                                    headers: [("x-amz-content-sha256", SigV4.emptyPayloadSHA256)], payloadSHA256: SigV4.emptyPayloadSHA256)
        #expect(Self.authorization(Self.s3.sign(request, at: Self.s3Date))
            .hasSuffix("Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"))
    }

    @Test func s3ListObjects() {
        let request = SigV4.Request(method: "GET", host: Self.bucketHost, path: "/", query: [("prefix", "J"), ("max-keys", "2")],
                                    headers: [("x-amz-content-sha256", SigV4.emptyPayloadSHA256)], payloadSHA256: SigV4.emptyPayloadSHA256)
        #expect(Self.authorization(Self.s3.sign(request, at: Self.s3Date))
            .hasSuffix("Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"))
    }

    @Test func s3PresignedGet() {
        let url = Self.s3.presignedURL(method: "GET", host: Self.bucketHost, path: "/test.txt", expires: 86400, at: Self.s3Date)
        #expect(url == "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z"
            + "&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    }

    @Test func aSessionTokenIsSentAndSigned() {
        var signer = Self.s3
        signer.credentials.sessionToken = "token"
        let headers = signer.sign(.init(method: "GET", host: Self.bucketHost, path: "/", payloadSHA256: SigV4.emptyPayloadSHA256), at: Self.s3Date)
        #expect(headers.contains { $0.name == "x-amz-security-token" && $0.value == "token" })
        #expect(Self.authorization(headers).contains("SignedHeaders=host;x-amz-date;x-amz-security-token,"))
    }

    @Test func encodingKeepsOnlyUnreservedCharacters() {
        #expect(SigV4.encode("a b+c/ключ~", keepingSlashes: true) == "a%20b%2Bc/%D0%BA%D0%BB%D1%8E%D1%87~")
        #expect(SigV4.encode("a/b=&", keepingSlashes: false) == "a%2Fb%3D%26")
    }

    @Test func credentialsComeFromTheAWSVariables() {
        #expect(S3Credentials.fromEnvironment(["AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret"])
            == S3Credentials(accessKeyID: "id", secretAccessKey: "secret"))
        #expect(S3Credentials.fromEnvironment(["AWS_ACCESS_KEY_ID": "id"]) == nil)
        #expect(S3Credentials.fromEnvironment(["AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t"])?.sessionToken == "t")
    }
}
