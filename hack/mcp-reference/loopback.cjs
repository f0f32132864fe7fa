// Preloaded into the MCP reference server (node --require): it calls `app.listen(PORT)`, which
// binds every interface; a listener given only a port binds 127.0.0.1 instead, as every test
// server here does.
const net = require("node:net");

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const portOnly = typeof args[0] === "number" || (typeof args[0] === "string" && /^\d+$/.test(args[0]));
  if (portOnly && typeof args[1] !== "string") {
    args.splice(1, 0, "127.0.0.1");
  }
  return listen.apply(this, args);
};
