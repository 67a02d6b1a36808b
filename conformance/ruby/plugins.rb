# frozen_string_literal: false
#
# The Resque plugins for the conformance driver (driver.rb requires this file).  Each plugin's
# code comes from the lib/ directory a setting names; none of it is in this repository:
#
#   RESQUE_PAUSE_LIB         resque-pause's lib/          (require "resque-pause")
#   RESQUE_LONER_LIB         resque-loner's lib/          (require "resque-loner")
#   RESQUE_LOCK_LIB          resque-lock's lib/           (require "resque/plugins/lock")
#   RESQUE_LOCK_TIMEOUT_LIB  resque-lock-timeout's lib/   (require "resque-lock-timeout")
#   RESQUE_RETRY_LIB         resque-retry's lib/          (require "resque-retry")
#   RESQUE_STATUS_LIB        resque-status's lib/         (require "resque-status")
#
# Commands (see driver.rb's dispatch):
#   plugin_load  name                  -> the plugin's version; PluginMissing names the setting
#   ruby         code                  -> TOPLEVEL_BINDING.eval(code), wired like any result
#   pause        op, queue?            -> ResquePauseHelper.<op>(queue) (pause, unpause,
#                                         global_pause, global_unpause, paused?, global_paused?)
#   status       op, class?, options?, uuid?
#                                      -> create: Klass.create(options) (the uuid); get:
#                                         Status::Hash.get(uuid) with pct_complete; kill:
#                                         Status::Hash.kill(uuid); statuses: ids, newest first
# define_job's "plugin" {"name", "options"} makes the class extend (or include) the plugin's
# module and sets each option as the class's instance variable (@loner_ttl, @retry_limit ...).

module ConformancePlugins
  class PluginMissing < StandardError; end

  LIBS = {
    "pause" => ["RESQUE_PAUSE_LIB", ["resque-pause", "resque-pause/server"]],
    "loner" => ["RESQUE_LONER_LIB", ["resque-loner"]],
    "lock" => ["RESQUE_LOCK_LIB", ["resque/plugins/lock"]],
    "lock_timeout" => ["RESQUE_LOCK_TIMEOUT_LIB", ["resque-lock-timeout"]],
    "retry" => ["RESQUE_RETRY_LIB", ["resque-retry", "resque/scheduler/server", "resque-retry/server"]],
    "status" => ["RESQUE_STATUS_LIB", ["resque-status", "resque/status_server"]],
  }.freeze

  module_function

  def load(name)
    setting, features = LIBS.fetch(name) { raise ArgumentError, "unknown plugin #{name.inspect}" }
    lib = ENV[setting].to_s
    raise PluginMissing, "#{setting} is not set (it names the #{name} plugin's lib/)" if lib.empty?
    raise PluginMissing, "#{setting}=#{lib} is not a directory" unless File.directory?(lib)
    $LOAD_PATH.unshift(lib) unless $LOAD_PATH.include?(lib)
    features.each do |f|
      # The web parts need Sinatra; a worker-only run does without them.
      f.include?("server") ? (require "resque/server"; require f) : require(f)
    end
    version(name, lib)
  end

  VERSIONS = {
    "pause" => "Resque::Plugins::Pause::VERSION", "loner" => "Resque::Plugins::Loner::VERSION",
    "retry" => "Resque::Plugins::Retry::VERSION", "status" => "Resque::Plugins::Status::VERSION",
  }.freeze

  def version(name, lib)
    # resque-pause keeps its version in lib/version.rb, which its main file does not require.
    plain = File.join(lib, "version.rb")
    require plain if name == "pause" && File.file?(plain)
    constant = VERSIONS[name]
    constant && Object.const_defined?(constant) ? Object.const_get(constant) : "loaded from #{lib}"
  end

  def apply(klass, spec)
    name = spec.fetch("name")
    load(name)
    case name
    when "pause" then klass.extend(Resque::Plugins::Pause)
    when "loner" then klass.send(:include, Resque::Plugins::UniqueJob)
    when "lock" then klass.extend(Resque::Plugins::Lock)
    when "lock_timeout" then klass.extend(Resque::Plugins::LockTimeout)
    when "retry" then klass.extend(Resque::Plugins::Retry)
    when "status"
      # Status jobs are performed by Status::ClassMethods#perform; the instance #perform reports
      # progress the way the suite's Python StatusJob does.
      klass.send(:include, Resque::Plugins::Status)
      klass.singleton_class.send(:remove_method, :perform) if klass.singleton_methods(false).include?(:perform)
      klass.send(:define_method, :perform) do
        at(1, 4, "one of four")
        tick("ticking")
        set_status("extra" => 5)
      end
    end
    (spec["options"] || {}).each { |k, v| klass.instance_variable_set("@#{k}", v) }
    klass
  end

  def status(req)
    load("status")
    hash = Resque::Plugins::Status::Hash
    case req.fetch("op")
    when "create"
      klass = Object.const_get(req.fetch("class"))
      klass.create(req["options"] || {})
    when "get" then (found = hash.get(req.fetch("uuid"))) && found.to_h.merge("pct_complete" => found.pct_complete)
    when "kill" then hash.kill(req.fetch("uuid"))
    when "statuses" then hash.statuses.map(&:uuid)
    else raise ArgumentError, "status op #{req['op'].inspect}"
    end
  end

  PAUSE_OPS = %w[pause unpause global_pause global_unpause paused? global_paused?].freeze

  def pause(req)
    load("pause")
    op = req.fetch("op")
    raise ArgumentError, "pause op #{op.inspect}" unless PAUSE_OPS.include?(op)
    args = op.start_with?("global") ? [] : [req.fetch("queue")]
    ResquePauseHelper.send(op, *args)
  end
end
