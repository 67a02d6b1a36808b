// A node-resque Scheduler driven over stdin, one command a line, one JSON answer a line:
// "poll" runs one Scheduler#poll (leader election, then due delayed jobs when leader) and
// answers {"leader": bool}; "end" runs Scheduler#end (releases its lock when it leads) and exits.
// Settings: REDIS_PORT, RESQUE_NAMESPACE, NODE_SCHEDULER_NAME; node-resque found on NODE_PATH.
const readline = require("readline");
const { Scheduler } = require("node-resque");

async function main() {
  const scheduler = new Scheduler({
    connection: {
      host: "127.0.0.1",
      port: Number(process.env.REDIS_PORT),
      namespace: process.env.RESQUE_NAMESPACE,
    },
    name: process.env.NODE_SCHEDULER_NAME,
    timeout: 100,
  });
  scheduler.on("error", (error) => console.error(`error: ${error}`));
  await scheduler.connect();
  console.log(JSON.stringify({ ready: true, name: scheduler.name }));
  for await (const line of readline.createInterface({ input: process.stdin })) {
    if (line === "poll") {
      await scheduler.poll();
      console.log(JSON.stringify({ leader: scheduler.leader }));
    } else if (line === "end") {
      await scheduler.end();
      console.log(JSON.stringify({ ended: true }));
      process.exit(0);
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
