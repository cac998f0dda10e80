import { auditConnectorPackage } from './audit-package';

// npm run audit:connector-package -- <package folder>   (an installed package, or an unpacked .tgz: tar xzf x.tgz → package/)
// Prints the audit as JSON; exits 1 when the package reaches the network around ctx.http.
const root = process.argv[2];
if (!root) {
  console.error('usage: npm run audit:connector-package -- <package folder>');
  process.exit(2);
}
const audit = auditConnectorPackage(root);
console.log(JSON.stringify(audit, null, 2));
if (audit.forbidden.length > 0) {
  console.error(`${audit.name}@${audit.version}: ${audit.forbidden.length} way(s) out around ctx.http`);
  process.exit(1);
}
