// Run once by the official mongo image, on an empty data volume, signed in as the root user
// (mounted into /docker-entrypoint-initdb.d by docker-compose.yml). Creates each service's
// user, allowed to read and write its own database only, from the same secret file the
// service connects with (/run/secrets/<service>_mongo_url), so the two cannot disagree.
// Changing a password later: db.getSiblingDB("admin").changeUserPassword(user, password)
// as root, then the service's URL file; this script does not run again.
const fs = require("fs");

const namespace = process.env.MINYI_NAMESPACE || "";
for (const service of ["intake", "routing", "notify", "reporting"]) {
  const file = `/run/secrets/${service}_mongo_url`;
  const url = new URL(fs.readFileSync(file, "utf8").trim());
  if (!url.username || !url.password) {
    throw new Error(`${file} holds no user and password`);
  }
  const database = namespace ? `${namespace}_minyi_${service}` : `minyi_${service}`;
  db.getSiblingDB("admin").createUser({
    user: decodeURIComponent(url.username),
    pwd: decodeURIComponent(url.password),
    roles: [{ role: "readWrite", db: database }],
  });
  print(`user ${decodeURIComponent(url.username)}: readWrite on ${database}`);
}
