# Two small servers for the proxy and CA bundle tests (tests/integration/region_test.cc):
#
#   recording_proxy.py proxy LOG   an HTTP forward proxy on a free loopback port: each request
#                                  (absolute-form target, as clients send to proxies) is written
#                                  to LOG as "METHOD URL" and forwarded; the answer is relayed.
#   recording_proxy.py tls CERT KEY  an HTTPS server with that certificate answering every request
#                                  with an empty ListObjectsV2 result (a stand-in S3 over TLS).
#
# Both print "listening on PORT" on stdout once ready and serve until killed.
import http.client
import http.server
import socketserver
import ssl
import sys
import urllib.parse

LISTING = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
           b'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
           b'<Name>b</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys>'
           b'<IsTruncated>false</IsTruncated></ListBucketResult>')


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    # Not http.server.HTTPServer: its bind looks the host name up (getfqdn), slow without DNS.
    daemon_threads = True
    allow_reuse_address = True


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    log_path = None

    def handle_any(self):
        with open(self.log_path, 'a') as log:
            log.write(self.command + ' ' + self.path + '\n')
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ('proxy-connection', 'connection', 'keep-alive')}
        conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=30)
        target = url.path + ('?' + url.query if url.query else '')
        conn.request(self.command, target, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ('transfer-encoding', 'connection', 'content-length'):
                self.send_header(k, v)
        self.send_header('Content-Length', str(0 if self.command == 'HEAD' else len(data)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(data)
        conn.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any

    def log_message(self, *args):
        pass


class FakeS3(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Type', 'application/xml')
        self.send_header('Content-Length', str(len(LISTING)))
        self.end_headers()
        self.wfile.write(LISTING)

    def do_HEAD(self):
        self.send_response(200)
        self.send_header('Content-Length', '0')
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    if sys.argv[1] == 'proxy':
        Proxy.log_path = sys.argv[2]
        server = Server(('127.0.0.1', 0), Proxy)
    else:
        server = Server(('127.0.0.1', 0), FakeS3)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[2], sys.argv[3])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print('listening on %d' % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == '__main__':
    main()
