// TCP echo server for the Weft benchmark report: Node.js `net`, one process, no cluster.
// Usage: node echo.js --port P [--host 127.0.0.1]
// Prints one line "listening on HOST:PORT backend=node" when ready; quiet afterwards.
'use strict';
const net = require('net');

let host = '127.0.0.1';
let port = -1;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--port' && i + 1 < argv.length) {
    port = Number(argv[++i]);
  } else if (argv[i] === '--host' && i + 1 < argv.length) {
    host = argv[++i];
  } else {
    process.stderr.write(`echo.js: bad argument '${argv[i]}' (usage: --port P [--host H])\n`);
    process.exit(2);
  }
}
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write('echo.js: --port P is required (0..65535)\n');
  process.exit(2);
}

const server = net.createServer({ noDelay: true }, (socket) => {
  socket.setNoDelay(true);
  socket.on('data', (chunk) => {
    // Back-pressure: stop reading while the write side is full.
    if (!socket.write(chunk)) {
      socket.pause();
      socket.once('drain', () => socket.resume());
    }
  });
  socket.on('error', () => socket.destroy());
});
server.listen({ host, port, backlog: 1024 }, () => {
  const a = server.address();
  process.stdout.write(`listening on ${a.address}:${a.port} backend=node\n`);
});
