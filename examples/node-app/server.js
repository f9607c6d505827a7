// The node-app example of Dockerfile.example: an HTTP server that stops accepting on SIGTERM, finishes the
// requests in flight, then exits 0.
const http = require('node:http');

const server = http.createServer((req, res) => {
  console.log(`${req.method} ${req.url}`);
  // ?ms=N answers after N ms: a slow request, to watch the drain.
  const ms = Number(new URL(req.url, 'http://app').searchParams.get('ms')) || 0;
  setTimeout(() => res.end(`done after ${ms} ms\n`), ms);
});
server.listen(Number(process.env.PORT) || 8080, () => console.log(`listening on ${server.address().port}`));

process.on('SIGTERM', () => {
  console.log('SIGTERM: draining');
  server.close(() => process.exit(0));
});
