# frozen_string_literal: false
#
# resque-compat conformance driver: a small Ruby program that drives a real
# Ruby Resque through its public API only, so the Python side can compare
# wire formats and behaviour against it.  This file is ours; it contains no
# Resque code.  Resque itself comes from RESQUE_REF_LIB (`ruby -I <lib>`) or
# from an installed gem (the Docker image).
#
# Usage:
#   ruby -I $RESQUE_REF_LIB conformance/ruby/driver.rb \
#        --redis redis://127.0.0.1:PORT/0 --namespace NS --json PROFILE
#
#   PROFILE: json_gem  MultiJson.use(:json_gem)
#            oj        MultiJson.use(:oj)
#            rails     json gem + active_support/json loaded (Rails escaping/Time format)
#
# Protocol: one JSON object per line on stdin, one JSON reply per line on
# stdout, in order:
#   {"ok":true,"result":...}
#   {"ok":false,"error_class":"...","error":"...","backtrace":[...]}
# A bad command never ends the driver.  Replies are ASCII-only JSON.  A
# string that is not valid UTF-8 (e.g. raw bytes read from Redis) is sent
# as {"__bytes_b64__":"<base64>"}.
#
# Commands ("cmd" plus arguments; "?" = optional):
#   hello                       -> versions of ruby, resque, redis-rb, redis-namespace,
#                                  multi_json (+ adapter), oj, json, activesupport, profile,
#                                  namespace, hostname, pid, redis_server, resque_lib
#   define_job  name, queue?, behaviour?, record?, error_class?, message?,
#               seconds?, code?, signal?, hooks?, hook_returns?
#       Defines (or redefines) class `name` (nested "A::B" allowed) with @queue.
#       behaviour: "record" (default) RPUSH to list `performed` the JSON
#                  {"class","args","inspect"} as Ruby sees them;
#                  "raise" raise error_class (defined as a StandardError subclass
#                  if unknown; default RuntimeError) with message;
#                  "sleep" seconds; "exit" exit!(code); "kill_self" signal
#                  (default "KILL"); "noop"; "block" BLPOP the list `release`
#                  (timeout `seconds`, default 60), so a scenario decides when the
#                  job ends by RPUSHing to `release`.
#       record: true -> also RPUSH `performed` before the behaviour runs
#               (always on for "record").
#       hooks: list of job hook method names (before_perform_x, around_perform_x,
#              after_perform_x, on_failure_x, before_enqueue_x, after_enqueue_x,
#              before_dequeue_x, after_dequeue_x, ...).  Each RPUSHes its name to
#              list `hooks` (around hooks push "<name> enter"/"<name> exit",
#              perform pushes "perform").  hook_returns: {"hook name": value}
#              for before_enqueue/before_dequeue return values (e.g. false).
#   inspect_args  ruby | args   -> {"native":bool,"inspect":"...","classes":[...]}
#   eval_args   ruby             -> the args array as a worker would receive it:
#                                   Resque.decode(Resque.encode(args))
#   use_namespace namespace      -> point Resque (and later `work` commands) at another
#                                   namespace on the same Redis
#   enqueue     queue?, class, ruby? | args?, pushed?
#       Resque.enqueue_to(queue, klass, *args) (Resque.enqueue when queue is
#       absent).  `ruby` is Ruby source for the args *array*, evaluated with
#       eval (symbols, Time, BigDecimal, 2**64, Float::NAN ...); `args` is a
#       plain JSON array.  class: an existing constant name, or any string
#       (then a String is passed as klass).  Result: {"returned":...,
#       "pushed":[raw list contents after the call] if pushed is true}.
#   push        queue, item (JSON object) | ruby   -> Resque.push
#   pop         queue
#   peek        queue, start?, count?
#   size        queue
#   queues                                     -> sorted Resque.queues
#   remove_queue queue
#   info                                       -> Resque.info
#   destroy     queue, class, ruby? | args?    -> Resque::Job.destroy (no args form when
#                                                 neither is given)
#   dequeue     class, ruby? | args?           -> Resque.dequeue
#   failures    op, backend? ("redis" | "redis_multi_queue"), id?, queue?,
#               offset?, limit?, class_name?
#       op: count | all | requeue | remove | clear | requeue_all | clear_retried |
#           requeue_queue | remove_queue | queues
#   work        queues, interval? (0 = burst), fork? (true), env? {VAR: value},
#               backend?, wait? (true), timeout? (60), worker_hooks? [names]
#       Runs Resque::Worker.new(*queues).work(interval) in a forked subprocess
#       of the driver (so fork-per-job and signals are real).  env is set in
#       that subprocess (TERM_CHILD, TZ, FORK_PER_JOB is driven by fork).
#       worker_hooks: Resque worker hooks (before_first_fork, before_fork,
#       after_fork, queue_empty, worker_exit, shutdown) that RPUSH their name
#       to `hooks`.
#       wait: true -> {"pid","exitstatus","termsig"}; false -> {"pid"}.
#   wait        pid, timeout?                  -> {"pid","exitstatus","termsig"} or
#                                                 {"pid","running":true}
#   signal      pid, signal                    -> Process.kill
#   ps          pid                            -> [{"pid","ppid","command"}] for pid and
#                                                 its descendants
#   workers                                    -> sorted Resque.workers ids
#   working                                    -> [{"id","job","state"}]
#   heartbeats                                 -> Resque::Worker.all_heartbeats
#   prune       queues, backend?               -> Resque::Worker.new(*queues).prune_dead_workers
#   pause_all   value? ("true")                -> SET pause-all-workers (nil value: DEL)
#   redis       argv                           -> a command through Resque.redis
#                                                 (namespaced), e.g. ["LRANGE","queue:q",0,-1]
#   keys                                       -> {logical key: {"type","value","ttl"}};
#                                                 lists in order, sets sorted, hashes,
#                                                 zsets as [member, score]
#   flush                                      -> delete every key of the namespace
#   web_get     path, headers? {}, backend?    -> {"status","headers","body"} from
#                                                 Resque::Server through Rack::Test
#                                                 (backend: the failure backend the
#                                                 pages use, as in `failures`)
#   plugin_load, ruby, pause, status           -> the plugins' commands (plugins.rb)
#   define_job ... plugin? {"name","options"}  -> the class takes a plugin (plugins.rb)
#   sched, scheduler, scheduler_lock, sched_parse, sched_web_get -> resque-scheduler (scheduler_commands.rb)
#   quit                                       -> replies, then exits
#
# ActiveJob mode: with CONFORMANCE_ACTIVEJOB=1 in its environment the driver is a Rails 6.1
# process too (activejob, globalid, Time.zone "UTC", GlobalID.app "myapp", records Invoice and
# Person located by id; Resque's lib/ goes after activejob's on the load path so activejob's own
# Resque adapter loads, see spec section 13). Without activejob the aj_* commands raise
# ActiveJobUnavailable with the reason.
#   aj_define   name, queue?                   -> an ActiveJob::Base subclass whose #perform(*args,
#                                                 **kwargs) RPUSHes to `performed` {"job_class",
#                                                 "args","kwargs" (typed shapes, see aj_shape),
#                                                 "inspect","kwargs_inspect","job_id","queue_name",
#                                                 "priority","locale"}
#   aj_enqueue  class, ruby | args?, kwargs? (Ruby source of a Hash), queue?, priority?, locale?,
#               wait? (seconds: set(wait:), through resque-scheduler's enqueue_at_with_queue)
#       perform_later(*args, **kwargs) (through set(queue:, priority:), within
#       I18n.with_locale) -> {"job_id","queue_name","args","kwargs","inspect","raw" (the queue
#       entry written)}
#   aj_shape    ruby | args?                   -> the typed shape of the values: JSON scalars as
#                                                 they are, arrays element-wise, {"Symbol":name},
#                                                 {"Hash":[[k,v],...]}, {"HashWithIndifferentAccess":
#                                                 ...}, {"GlobalID":uri}, {"Time"|"DateTime"|
#                                                 "TimeWithZone":iso8601(9)}, {"Date":iso8601},
#                                                 {"Duration":[secs,[[unit,n],...]]}, {"Module":name},
#                                                 else {"Object":"Class: inspect"}

require "optparse"
require "json"
require "base64"
require "socket"
require "date"
require "time"
require "set"
require "bigdecimal"
require "bigdecimal/util"
require_relative "plugins"
require_relative "scheduler_commands"

OPTIONS = { redis: "redis://127.0.0.1:6379/0", namespace: "resque", json: "json_gem" }
OptionParser.new do |o|
  o.on("--redis URL") { |v| OPTIONS[:redis] = v }
  o.on("--namespace NS") { |v| OPTIONS[:namespace] = v }
  o.on("--json PROFILE") { |v| OPTIONS[:json] = v }
end.parse!(ARGV)

require "resque"
require "resque/failure/redis"
require "resque/failure/redis_multi_queue"
require "multi_json"

case OPTIONS[:json]
when "json_gem"
  MultiJson.use(:json_gem)
when "oj"
  require "oj"
  MultiJson.use(:oj)
when "rails"
  MultiJson.use(:json_gem)
  require "active_support"
  require "active_support/json"
else
  warn "unknown --json profile #{OPTIONS[:json]}"
  exit 2
end

# ActiveJob mode (CONFORMANCE_ACTIVEJOB=1): Rails 6.1's ActiveJob on Resque.
module ConformanceActiveJob
  module_function

  def setup!
    # Resque 3.0's lib/ holds an adapter for Rails 7.2+; activejob 6.1's own must win.
    found = $LOADED_FEATURES.find { |f| f.end_with?("/resque.rb") }
    resque_dir = found && File.dirname(found)
    $LOAD_PATH.push($LOAD_PATH.delete(resque_dir)) if resque_dir && $LOAD_PATH.include?(resque_dir)
    require "logger"
    require "active_job"
    require "active_support/json"
    require "active_support/time"
    require "global_id"
    require "active_job/queue_adapters/resque_adapter"
    configure!
  rescue LoadError => e
    @unavailable = "ActiveJob is not available to this Ruby (#{e.message})"
  end

  def configure!
    require_relative "activejob_app"
    RailsApp.configure!
    @ready = true
  end

  def version
    @ready ? ActiveJob::VERSION::STRING : nil
  end

  def ready!
    return if @ready

    raise ActiveJobUnavailable, @unavailable || "the driver runs without CONFORMANCE_ACTIVEJOB=1"
  end

  def define(req)
    ready!
    name = req.fetch("name")
    parent, leaf = ConformanceDriver.ensure_module_path(name)
    parent.send(:remove_const, leaf) if parent.const_defined?(leaf, false)
    klass = Class.new(ActiveJob::Base)
    parent.const_set(leaf, klass)
    klass.queue_as(req["queue"]) if req["queue"]
    klass.define_method(:perform) { |*args, **kwargs| ConformanceActiveJob.record(self, args, kwargs) }
    name
  end

  def record(job, args, kwargs)
    entry = {
      "job_class" => job.class.name, "args" => shape(args), "kwargs" => shape(kwargs),
      "inspect" => args.inspect, "kwargs_inspect" => kwargs.inspect, "job_id" => job.job_id,
      "queue_name" => job.queue_name, "priority" => job.priority, "locale" => I18n.locale.to_s
    }
    Resque.redis.rpush("performed", JSON.generate(entry))
  end

  def enqueue(req)
    ready!
    klass = ConformanceDriver.constant(req.fetch("class"))
    args = ConformanceDriver.eval_args(req)
    kwargs = req["kwargs"] ? TOPLEVEL_BINDING.eval(req["kwargs"]) : {}
    ConformanceScheduler.load! if req["wait"] # the adapter's enqueue_at needs resque-scheduler
    options = { queue: req["queue"], priority: req["priority"], wait: req["wait"] }.compact
    target = options.empty? ? klass : klass.set(options)
    job = I18n.with_locale(req["locale"] || I18n.default_locale) { target.perform_later(*args, **kwargs) }
    raise ArgumentError, "perform_later did not enqueue #{klass}" unless job

    { "job_id" => job.job_id, "queue_name" => job.queue_name, "args" => shape(args),
      "kwargs" => shape(kwargs), "inspect" => args.inspect,
      "raw" => Resque.redis.lrange("queue:#{job.queue_name}", -1, -1).first }
  end

  def shape(value)
    case value
    when nil, true, false, Integer, String then value
    when Float then value.finite? ? value : { "Float" => value.to_s }
    when Symbol then { "Symbol" => value.to_s }
    when Array then value.map { |v| shape(v) }
    when ActiveSupport::HashWithIndifferentAccess then { "HashWithIndifferentAccess" => pairs(value) }
    when Hash then { "Hash" => pairs(value) }
    else shape_object(value)
    end
  end

  def pairs(hash)
    hash.map { |k, v| [shape(k), shape(v)] }
  end

  def shape_object(value)
    case value
    when ActiveSupport::TimeWithZone then { "TimeWithZone" => value.iso8601(9) }
    when DateTime then { "DateTime" => value.iso8601(9) }
    when Time then { "Time" => value.iso8601(9) }
    when Date then { "Date" => value.iso8601 }
    when ActiveSupport::Duration
      { "Duration" => [value.value, value.parts.map { |unit, n| [unit.to_s, n] }] }
    when Module then { "Module" => value.name }
    when GlobalID::Identification then { "GlobalID" => value.to_global_id.to_s }
    else { "Object" => "#{value.class.name}: #{value.inspect}" }
    end
  end
end

class ActiveJobUnavailable < StandardError; end

ConformanceActiveJob.setup! if ENV["CONFORMANCE_ACTIVEJOB"] == "1"

module ConformanceDriver
  module_function

  def connect!
    @raw = Redis.new(url: OPTIONS[:redis])
    use_namespace(OPTIONS[:namespace])
  end

  def raw
    @raw
  end

  def ns
    OPTIONS[:namespace]
  end

  # ---- reply encoding -------------------------------------------------
  def wire(obj)
    case obj
    when String
      s = obj.dup.force_encoding(Encoding::UTF_8)
      if obj.encoding == Encoding::UTF_8 || obj.encoding == Encoding::ASCII_8BIT ||
         obj.encoding == Encoding::US_ASCII
        s.valid_encoding? ? s : { "__bytes_b64__" => Base64.strict_encode64(obj.b) }
      else
        obj.encode(Encoding::UTF_8)
      end
    when Symbol then obj.to_s
    when Hash then obj.each_with_object({}) { |(k, v), h| h[wire_key(k)] = wire(v) }
    when Array then obj.map { |v| wire(v) }
    when nil, true, false, Integer then obj
    when Float then obj.finite? ? obj : obj.to_s
    else obj.inspect
    end
  end

  def wire_key(key)
    k = key.is_a?(String) ? key : key.to_s
    s = k.dup.force_encoding(Encoding::UTF_8)
    s.valid_encoding? ? s : k.inspect
  end

  def emit(reply)
    $stdout.write(JSON.generate(wire(reply), ascii_only: true) + "\n")
    $stdout.flush
  end

  # ---- helpers --------------------------------------------------------
  def constant(name)
    name.split("::").reject(&:empty?).inject(Object) { |mod, part| mod.const_get(part, false) }
  end

  def ensure_module_path(name)
    parts = name.split("::")
    leaf = parts.pop
    parent = parts.inject(Object) do |mod, part|
      if mod.const_defined?(part, false)
        mod.const_get(part, false)
      else
        mod.const_set(part, Module.new)
      end
    end
    [parent, leaf]
  end

  def error_class(name)
    return RuntimeError if name.nil? || name.empty?
    constant(name)
  rescue NameError
    parent, leaf = ensure_module_path(name)
    parent.const_set(leaf, Class.new(StandardError))
  end

  def eval_args(req)
    if req.key?("ruby")
      v = TOPLEVEL_BINDING.eval(req["ruby"])
      raise ArgumentError, "ruby args must evaluate to an Array" unless v.is_a?(Array)
      v
    else
      req["args"] || []
    end
  end

  def klass_arg(name)
    constant(name)
  rescue NameError
    name
  end

  def native?(value)
    case value
    when nil, true, false, Integer, Float, String, Symbol then true
    when Array then value.all? { |v| native?(v) }
    when Hash then value.all? { |k, v| native?(k) && native?(v) }
    else false
    end
  end

  def record_performed(name, args)
    entry = { "class" => name, "args" => args, "inspect" => args.inspect }
    text = begin
      JSON.generate(entry)
    rescue StandardError
      JSON.generate({ "class" => name, "inspect" => args.inspect })
    end
    Resque.redis.rpush("performed", text)
  end

  def push_hook(text)
    Resque.redis.rpush("hooks", text)
  end

  # ---- job classes ----------------------------------------------------
  def define_job(req)
    name = req.fetch("name")
    parent, leaf = ensure_module_path(name)
    parent.send(:remove_const, leaf) if parent.const_defined?(leaf, false)
    klass = Class.new
    parent.const_set(leaf, klass)
    klass.instance_variable_set(:@queue, req["queue"]) if req["queue"]
    install_perform(klass, name, req)
    (req["hooks"] || []).each { |h| install_hook(klass, h, req["hook_returns"] || {}) }
    ConformancePlugins.apply(klass, req["plugin"]) if req["plugin"]
    name
  end

  def install_perform(klass, name, req)
    behaviour = req["behaviour"] || "record"
    record = behaviour == "record" || req["record"]
    hooked = !(req["hooks"] || []).empty?
    err = error_class(req["error_class"]) if behaviour == "raise"
    message = req["message"] || "boom"
    klass.define_singleton_method(:perform) do |*args|
      ConformanceDriver.push_hook("perform") if hooked
      ConformanceDriver.record_performed(name, args) if record
      case behaviour
      when "raise" then raise err, message
      when "sleep" then sleep(req["seconds"] || 1)
      when "exit" then exit!(req["code"] || 0)
      when "kill_self"
        Process.kill(req["signal"] || "KILL", Process.pid)
        sleep 10
      when "block" then Resque.redis.blpop("release", timeout: req["seconds"] || 60)
      end
      nil
    end
  end

  def install_hook(klass, hook, returns)
    if hook.start_with?("around_")
      klass.define_singleton_method(hook) do |*_args, &blk|
        ConformanceDriver.push_hook("#{hook} enter")
        blk.call
        ConformanceDriver.push_hook("#{hook} exit")
      end
    else
      klass.define_singleton_method(hook) do |*_args|
        ConformanceDriver.push_hook(hook)
        returns.key?(hook) ? returns[hook] : true
      end
    end
  end

  # ---- failures -------------------------------------------------------
  BACKENDS = {
    "redis" => "Resque::Failure::Redis",
    "redis_multi_queue" => "Resque::Failure::RedisMultiQueue",
  }.freeze

  def with_backend(name)
    previous = Resque::Failure.backend
    Resque::Failure.backend = constant(BACKENDS.fetch(name)) if name
    yield
  ensure
    Resque::Failure.backend = previous
  end

  def failures(req)
    with_backend(req["backend"]) do
      f = Resque::Failure
      q = req["queue"]
      case req.fetch("op")
      when "count" then f.count(q, req["class_name"])
      when "all" then f.all(req["offset"] || 0, req["limit"] || f.count(q), q)
      when "requeue" then f.requeue(req.fetch("id"), q)
      when "remove" then f.remove(req.fetch("id"), q)
      when "clear" then f.clear(q)
      when "requeue_all" then f.requeue_all
      when "clear_retried" then f.clear_retried
      when "requeue_queue" then f.requeue_queue(req.fetch("queue"))
      when "remove_queue" then f.remove_queue(req.fetch("queue"))
      when "queues" then f.queues.sort
      else raise ArgumentError, "unknown failures op #{req['op'].inspect}"
      end
    end
  end

  # ---- workers --------------------------------------------------------
  WORKER_HOOKS = %w[before_first_fork before_fork after_fork queue_empty worker_exit
                    shutdown before_pause after_pause].freeze

  def work(req)
    queues = Array(req.fetch("queues"))
    interval = req.key?("interval") ? req["interval"] : 0
    $stdout.flush
    pid = fork { run_worker(req, queues, interval) }
    return { "pid" => pid } if req.key?("wait") && !req["wait"]

    wait_for(pid, req["timeout"] || 60)
  end

  def run_worker(req, queues, interval)
    $stdin.reopen(File::NULL)
    $stdout.reopen(req["log"] || File::NULL, "a")
    $stderr.reopen($stdout)
    (req["env"] || {}).each { |k, v| ENV[k] = v.nil? ? nil : v.to_s }
    connect!
    Resque::Failure.backend = constant(BACKENDS.fetch(req["backend"])) if req["backend"]
    (req["worker_hooks"] || []).each do |hook|
      raise ArgumentError, "unknown worker hook #{hook}" unless WORKER_HOOKS.include?(hook)
      Resque.send(hook) { |*_a| ConformanceDriver.push_hook(hook) }
    end
    worker = Resque::Worker.new(*queues)
    worker.fork_per_job = false if req.key?("fork") && !req["fork"]
    worker.work(interval)
    exit!(0)
  rescue Exception => e # rubocop:disable Lint/RescueException
    warn "driver worker crashed: #{e.class}: #{e.message}"
    exit!(70)
  end

  def wait_for(pid, timeout)
    deadline = Time.now + timeout
    loop do
      done, status = Process.wait2(pid, Process::WNOHANG)
      if done
        return { "pid" => pid, "exitstatus" => status.exitstatus,
                 "termsig" => status.termsig && Signal.signame(status.termsig) }
      end
      return { "pid" => pid, "running" => true } if Time.now > deadline
      sleep 0.02
    end
  end

  def ps(root)
    rows = `ps -A -o pid=,ppid=,args=`.lines.map do |line|
      pid, ppid, command = line.strip.split(/\s+/, 3)
      { "pid" => pid.to_i, "ppid" => ppid.to_i, "command" => command.to_s }
    end
    keep = Set[root]
    loop do
      added = rows.select { |r| keep.include?(r["ppid"]) && !keep.include?(r["pid"]) }
      break if added.empty?
      added.each { |r| keep << r["pid"] }
    end
    rows.select { |r| keep.include?(r["pid"]) }
  end

  def working
    Resque.working.map do |w|
      { "id" => w.to_s, "job" => w.job(false), "state" => w.state.to_s }
    end.sort_by { |h| h["id"] }
  end

  # ---- keyspace -------------------------------------------------------
  def keys
    prefix = "#{ns}:"
    out = {}
    raw.scan_each(match: "#{ns}:*").to_a.uniq.sort.each do |key|
      out[key.delete_prefix(prefix)] = dump_key(key)
    end
    out
  end

  def dump_key(key)
    type = raw.type(key)
    value =
      case type
      when "string" then raw.get(key)
      when "list" then raw.lrange(key, 0, -1)
      when "set" then raw.smembers(key).sort
      when "hash" then raw.hgetall(key)
      when "zset" then raw.zrange(key, 0, -1, with_scores: true)
      end
    { "type" => type, "value" => value, "ttl" => raw.ttl(key) }
  end

  def flush
    found = raw.scan_each(match: "#{ns}:*").to_a.uniq
    raw.del(*found) unless found.empty?
    found.size
  end

  def redis_command(argv)
    cmd, *args = argv
    @nsobj.send(cmd.to_s.downcase, *args)
  end

  # ---- web ------------------------------------------------------------
  def web_get(req)
    require "rack/test"
    require "resque/server"
    with_backend(req["backend"]) do
      session = Rack::Test::Session.new(Rack::MockSession.new(Resque::Server))
      env = {}
      (req["headers"] || {}).each { |k, v| env["HTTP_#{k.upcase.tr('-', '_')}"] = v }
      session.get(req.fetch("path"), {}, env)
      r = session.last_response
      { "status" => r.status, "headers" => r.headers.to_h, "body" => r.body }
    end
  end

  def use_namespace(name)
    OPTIONS[:namespace] = name
    @nsobj = Redis::Namespace.new(name, redis: @raw)
    Resque.redis = @nsobj
    # Resque::Stat memoizes the data store it first saw; follow the switch.
    Resque::Stat.data_store = Resque.redis
    name
  end

  # ---- versions -------------------------------------------------------
  def hello
    {
      "ruby" => RUBY_VERSION, "ruby_platform" => RUBY_PLATFORM,
      "resque" => Resque::VERSION, "redis_rb" => Redis::VERSION,
      "redis_namespace" => Redis::Namespace::VERSION,
      "multi_json" => MultiJson::VERSION, "multi_json_adapter" => MultiJson.adapter.name,
      "oj" => defined?(Oj::VERSION) ? Oj::VERSION : nil,
      "json" => JSON::VERSION,
      "activesupport" => defined?(ActiveSupport::VERSION) ? ActiveSupport::VERSION::STRING : nil,
      "activejob" => ConformanceActiveJob.version,
      "resque_scheduler" => ConformanceScheduler.version,
      "profile" => OPTIONS[:json], "namespace" => ns,
      "hostname" => Socket.gethostname, "pid" => Process.pid,
      "redis_server" => raw.info("server")["redis_version"],
      "resque_lib" => resque_lib,
    }
  end

  def resque_lib
    found = $LOADED_FEATURES.find { |f| f.end_with?("/resque.rb") }
    found && File.dirname(found)
  end

  # ---- dispatch -------------------------------------------------------
  def dispatch(req)
    case req.fetch("cmd")
    when "hello" then hello
    when "define_job" then define_job(req)
    when "inspect_args"
      a = eval_args(req)
      { "native" => native?(a), "inspect" => a.inspect, "classes" => a.map { |v| v.class.name } }
    when "eval_args" then Resque.decode(Resque.encode(eval_args(req)))
    when "use_namespace" then use_namespace(req.fetch("namespace"))
    when "enqueue" then enqueue(req)
    when "push"
      item = req.key?("ruby") ? TOPLEVEL_BINDING.eval(req["ruby"]) : req.fetch("item")
      Resque.push(req.fetch("queue"), item)
    when "pop" then Resque.pop(req.fetch("queue"))
    when "peek" then Resque.peek(req.fetch("queue"), req["start"] || 0, req["count"] || 1)
    when "size" then Resque.size(req.fetch("queue"))
    when "queues" then Resque.queues.sort
    when "remove_queue" then Resque.remove_queue(req.fetch("queue"))
    when "info" then Resque.info
    when "destroy" then destroy(req)
    when "dequeue" then Resque.dequeue(constant(req.fetch("class")), *eval_args(req))
    when "failures" then failures(req)
    when "work" then work(req)
    when "wait" then wait_for(req.fetch("pid"), req["timeout"] || 60)
    when "signal" then Process.kill(req.fetch("signal"), req.fetch("pid"))
    when "ps" then ps(req.fetch("pid"))
    when "workers" then Resque.workers.map(&:to_s).sort
    when "working" then working
    when "heartbeats" then Resque::Worker.all_heartbeats
    when "prune" then prune(req)
    when "pause_all" then pause_all(req)
    when "redis" then redis_command(req.fetch("argv"))
    when "keys" then keys
    when "flush" then flush
    when "web_get" then web_get(req)
    when "sched" then ConformanceScheduler.call(self, req)
    when "scheduler" then ConformanceScheduler.run(self, req)
    when "scheduler_lock" then ConformanceScheduler.lock(self)
    when "sched_parse" then ConformanceScheduler.parse(req)
    when "sched_web_get" then ConformanceScheduler.web_get(self, req)
    when "aj_define" then ConformanceActiveJob.define(req)
    when "aj_enqueue" then ConformanceActiveJob.enqueue(req)
    when "aj_shape"
      ConformanceActiveJob.ready!
      ConformanceActiveJob.shape(eval_args(req))
    when "plugin_load" then ConformancePlugins.load(req.fetch("name"))
    when "ruby" then TOPLEVEL_BINDING.eval(req.fetch("code"))
    when "pause" then ConformancePlugins.pause(req)
    when "status" then ConformancePlugins.status(req)
    when "quit" then :quit
    else raise ArgumentError, "unknown command #{req['cmd'].inspect}"
    end
  end

  def enqueue(req)
    klass = klass_arg(req.fetch("class"))
    args = eval_args(req)
    returned =
      if req.key?("queue")
        Resque.enqueue_to(req["queue"], klass, *args)
      else
        Resque.enqueue(klass, *args)
      end
    result = { "returned" => returned }
    if req["pushed"]
      queue = req.key?("queue") ? req["queue"] : Resque.queue_from_class(klass)
      result["pushed"] = Resque.redis.lrange("queue:#{queue}", 0, -1)
    end
    result
  end

  def destroy(req)
    klass = klass_arg(req.fetch("class"))
    if req.key?("ruby") || req.key?("args")
      Resque::Job.destroy(req.fetch("queue"), klass, *eval_args(req))
    else
      Resque::Job.destroy(req.fetch("queue"), klass)
    end
  end

  def prune(req)
    with_backend(req["backend"]) do
      Resque::Worker.new(*Array(req.fetch("queues"))).prune_dead_workers
    end
    nil
  end

  def pause_all(req)
    value = req.key?("value") ? req["value"] : "true"
    value.nil? ? Resque.redis.del("pause-all-workers") : Resque.redis.set("pause-all-workers", value)
  end

  def serve
    connect!
    $stdin.each_line do |line|
      next if line.strip.empty?
      result = begin
        req = JSON.parse(line)
        raise ArgumentError, "command must be a JSON object" unless req.is_a?(Hash)
        { "ok" => true, "result" => dispatch(req) }
      rescue Exception => e # rubocop:disable Lint/RescueException
        raise if e.is_a?(SystemExit) || e.is_a?(Interrupt)
        { "ok" => false, "error_class" => e.class.name, "error" => e.message,
          "backtrace" => (e.backtrace || []).first(8) }
      end
      if result["result"] == :quit
        emit({ "ok" => true, "result" => nil })
        break
      end
      emit(result)
    end
  end
end

ConformanceDriver.serve
