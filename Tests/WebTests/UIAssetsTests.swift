import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing
@testable import Web

/// The viewer's files: compiled in from UI/Assets, served with their types.
@Suite struct UIAssetsTests {
    @Test func theCompiledInFilesAreTheAssets() async throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Scripts/embed-ui.py").standardized.path
        let run = try await Subprocess.run("python3", [script, "--check"])
        #expect(run.status == 0, "\(run.errors)")
    }

    @Test func pagesAreServed() async throws {
        let router = Router(context: WebContext.self)
        UIAssets.addRoutes(to: router)
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response throws in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(String(buffer: response.body).contains("/ui/app.js"))
            }
            try await client.execute(uri: "/ui/app.js", method: .get) { response throws in
                #expect(response.headers[.contentType] == "text/javascript; charset=utf-8")
            }
            try await client.execute(uri: "/ui/missing.js", method: .get) { response throws in
                #expect(response.status == .notFound)
            }
        }
    }
}
