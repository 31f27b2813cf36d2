# frozen_string_literal: true

module LXD
  # The cluster (`GET /1.0/cluster`), the one object of a singleton kind:
  # `client.cluster` (`lxd_cluster_get`). On a standalone server `enabled`
  # is false and `server_name` is "". Its actions are generated from the
  # kind table and run through liblxd's typed functions:
  #
  # @!method join(args = nil, wait: true, **kw)
  #   Join this standalone server to an existing cluster
  #   (`lxd_cluster_join`: `PUT /1.0/cluster` with `enabled: true`).
  #   Arguments: `server_name`, `server_address`, `cluster_address`,
  #   `cluster_certificate`, `cluster_password` (the `token` of a join
  #   token, from {ClusterMemberManagerMethods#create_token} on the
  #   cluster), `member_config`.
  #   @return [Hash] the operation (final when waited for)
  # @!method update_certificate(args = nil, wait: true, **kw)
  #   Replace the cluster's certificate and key on every member
  #   (`lxd_cluster_update_certificate`: `PUT /1.0/cluster/certificate`).
  #   Arguments: `cluster_certificate`, `cluster_certificate_key` (PEM).
  #   @return [nil]
  #
  # Saving the object (`enabled`, `server_name`) turns a standalone server
  # into a cluster of one: LXD's own `lxc cluster enable`.
  class Cluster < Object
  end

  # A member of a cluster (`/1.0/cluster/members`, keyed by `server_name`):
  # `client.cluster_members`. A standalone server refuses the members and
  # groups with {APIError} ("Server is not clustered"). Its actions are
  # generated from the kind table and run through liblxd's typed functions:
  #
  # @!method evacuate(args = nil, wait: true, **kw)
  #   Move or stop the member's instances and mark it evacuated
  #   (`lxd_cluster_member_evacuate`). Argument `mode` ("stop", "migrate",
  #   "live-migrate") needs the API extension `clustering_evacuation_mode`,
  #   which LXD 5.0.2 lacks: there it raises {ExtensionMissing} before any
  #   request, and each instance's `cluster.evacuate` config decides.
  #   @return [Hash] the operation (final when waited for)
  # @!method restore(args = nil, wait: true, **kw)
  #   Bring an evacuated member's instances back
  #   (`lxd_cluster_member_restore`).
  #   @return [Hash] the operation (final when waited for)
  class ClusterMember < Object
  end

  # Extra methods of the cluster members manager: join tokens, as the
  # certificates manager has trust tokens.
  module ClusterMemberManagerMethods
    # Make a one-time join token for a new member (`lxc cluster add NAME`;
    # `lxd_cluster_join_token_create`). The new server passes
    # `token["token"]` to {Cluster#join} as `cluster_password` and becomes
    # member NAME.
    # @param name [String] the new member's name (LXD's `server_name`);
    #   also as the keyword `server_name:`
    # @return [Hash] `id` (the pending operation), `token` (LXD's token
    #   string, as `lxc cluster add` prints it), `server_name`,
    #   `fingerprint`, `addresses`, `expires_at`, `created_at`
    # @raise [InvalidArgument] no name; [APIError] a standalone server
    #   ("This server is not clustered"), a name in use;
    #   [ExtensionMissing] no `clustering_join_token`
    def create_token(name = nil, server_name: nil, **more)
      raise InvalidArgument, "give the member's name once: name or server_name:" if name && server_name

      json = Call.options_json({ server_name: name || server_name }, more, "join token options")
      text = @client.with_ptr do |c|
        Call.out_string { |out| Call.invoke(:lxd_cluster_join_token_create, c, json, out) }
      end
      Call.from_json_text(text)
    end

    # The pending join tokens (made, not yet used, revoked or expired; `lxc
    # cluster list-tokens`), as {#create_token} returns them
    # (`lxd_cluster_join_tokens`).
    # @return [Array<Hash>]
    def tokens
      text = @client.with_ptr do |c|
        Call.out_string { |out| Call.invoke(:lxd_cluster_join_tokens, c, out) }
      end
      Call.from_json_text(text)
    end

    # Revoke a pending join token, by its `id` or its member's name (`lxc
    # cluster revoke-token`; `lxd_cluster_join_token_revoke`).
    # @raise [NotFound] no such pending token
    # @return [nil]
    def revoke_token(id_or_name)
      id_or_name = Call.c_string(id_or_name, "token")
      @client.with_ptr { |c| Call.invoke(:lxd_cluster_join_token_revoke, c, id_or_name) }
      nil
    end
  end
end
