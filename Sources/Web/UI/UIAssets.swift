import Hummingbird

/// The browser viewer: a page and its script and style, served from the binary itself
/// (`UIAssets+Generated.swift`, made from `UI/Assets` by Scripts/embed-ui.py).
enum UIAssets {
    static func addRoutes(to router: Router<WebContext>) {
        router.get("/") { _, _ in try response("index.html") }
        router.get("ui/:file") { _, context in try response(context.parameters.get("file") ?? "") }
    }

    static func response(_ name: String) throws -> Response {
        guard let file = files[name] else { throw Problem.notFound("no file \(name)") }
        var headers = HTTPFields()
        headers[.contentType] = file.contentType
        // Pages change with Lifeboat's version: a browser revalidates rather than keeps a stale viewer.
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: file.text)))
    }
}
