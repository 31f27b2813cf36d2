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
  #   `cluster_certificate`, `cluster_password` (a join token, from
  #   {ClusterMemberManagerMethods#join_token} on the cluster),
  #   `member_config`.
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
  #   (`lxd_cluster_member_evacuate`); argument `mode` ("stop", "migrate",
  #   "live-migrate").
  #   @return [Hash] the operation (final when waited for)
  # @!method restore(args = nil, wait: true, **kw)
  #   Bring an evacuated member's instances back
  #   (`lxd_cluster_member_restore`).
  #   @return [Hash] the operation (final when waited for)
  class ClusterMember < Object
  end

  # Extra methods of the cluster members manager.
  module ClusterMemberManagerMethods
    # A join token for a new member (the collection action `join_token`,
    # `lxd_cluster_member_join_token`: `POST /1.0/cluster/members`), as
    # `lxc cluster add NAME`. LXD's token operation runs until the token is
    # used (or expires), so by default this does not wait for it.
    # @param name [String, Hash, nil] the new member's name (LXD's
    #   `server_name`), or the arguments as a Hash
    # @param wait [Boolean] true waits for the operation to end (that is,
    #   for the token to be used)
    # @return [Hash] the operation (`op["id"]`); its `metadata` holds the
    #   token's parts (the new member's name, a secret, the cluster
    #   certificate's fingerprint, the members' addresses), which
    #   `lxc cluster add` prints as base64-encoded JSON
    # @raise [APIError] a standalone server ("This server is not clustered")
    def join_token(name = nil, wait: false, **kw)
      args = name.is_a?(String) ? { "server_name" => name } : name
      json = Call.action_args(args, kw)
      @client.run_collection_action(kind, "join_token", json, wait: wait)
    end
  end
end
