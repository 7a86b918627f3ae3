"""What Google sells: the services and SKUs with their list prices, the usage and pricing units,
the SKUs each kind of resource bills (KINDS) and the machine specs of the compute kinds."""

CONSUMPTION_MODEL = {"id": "7754-699E-0EBF", "description": "Default"}

# service key -> (service id, description)
SERVICES = {
    "compute": ("6F81-5844-456A", "Compute Engine"),
    "vertex": ("C7E2-9256-1C43", "Vertex AI"),
    "gke": ("CCD8-9BF1-090E", "Kubernetes Engine"),
    "gcs": ("95FF-2EF5-5EA1", "Cloud Storage"),
    "bq": ("24E6-581D-38E5", "BigQuery"),
    "dataflow": ("1992-3666-B975", "Dataflow"),
    "net": ("E505-1604-58F8", "Networking"),
    "logging": ("5490-F7B7-8DF6", "Cloud Logging"),
    "monitoring": ("58CD-E7C3-72CA", "Cloud Monitoring"),
    "support": ("2062-016F-44A2", "Support"),
    "invoice": ("B5E3-9C1A-7D20", "Invoice"),
}

# units: usage unit, pricing unit, usage units per pricing unit
GIB = 2**30
UNITS = {
    "hour": ("seconds", "hour", 3600.0),
    "gibh": ("byte-seconds", "gibibyte hour", 3600.0 * GIB),
    "gibm": ("byte-seconds", "gibibyte month", 3600.0 * 730 * GIB),
    "gib": ("bytes", "gibibyte", float(GIB)),
    "tib": ("bytes", "tebibyte", float(2**40)),
    "tok": ("count", "count", 1.0),
    "ops": ("requests", "10 thousand requests", 10000.0),
}

# key: (service, description ({geo} = Americas/EMEA), unit, list price USD per pricing unit)
SKUS: dict[str, tuple[str, str, str, float]] = {
    "gpu_h100": ("compute", "Nvidia H100 80GB GPU running in {geo}", "hour", 9.796),
    "gpu_a100": ("compute", "Nvidia Tesla A100 GPU running in {geo}", "hour", 2.933908),
    "gpu_l4": ("compute", "Nvidia L4 GPU running in {geo}", "hour", 0.56),
    "a3_core": ("compute", "A3 Instance Core running in {geo}", "hour", 0.039586),
    "a3_ram": ("compute", "A3 Instance Ram running in {geo}", "gibh", 0.003387),
    "a2_core": ("compute", "A2 Instance Core running in {geo}", "hour", 0.031611),
    "a2_ram": ("compute", "A2 Instance Ram running in {geo}", "gibh", 0.004237),
    "g2_core": ("compute", "G2 Instance Core running in {geo}", "hour", 0.024988),
    "g2_ram": ("compute", "G2 Instance Ram running in {geo}", "gibh", 0.002928),
    "n1_core": ("compute", "N1 Predefined Instance Core running in {geo}", "hour", 0.031611),
    "n1_ram": ("compute", "N1 Predefined Instance Ram running in {geo}", "gibh", 0.004237),
    "e2_core": ("compute", "E2 Instance Core running in {geo}", "hour", 0.021811),
    "e2_ram": ("compute", "E2 Instance Ram running in {geo}", "gibh", 0.002923),
    "pd": ("compute", "Storage PD Capacity", "gibm", 0.04),
    "pd_ssd": ("compute", "SSD backed PD Capacity", "gibm", 0.17),
    "vx_train_h100": ("vertex", "Vertex AI: Custom Training on Nvidia H100 80GB GPU running in {geo}", "hour", 11.2654),
    "vx_train_a100": ("vertex", "Vertex AI: Custom Training on Nvidia Tesla A100 GPU running in {geo}", "hour", 3.3741),
    "vx_train_core": (
        "vertex",
        "Vertex AI: Custom Training a2-highgpu Instance Core running in {geo}",
        "hour",
        0.036353,
    ),
    "vx_pred_l4": ("vertex", "Vertex AI: Online Prediction on Nvidia L4 GPU running in {geo}", "hour", 0.644),
    "vx_pred_a100": (
        "vertex",
        "Vertex AI: Online Prediction on Nvidia Tesla A100 GPU running in {geo}",
        "hour",
        3.3741,
    ),
    "vx_pred_core": (
        "vertex",
        "Vertex AI: Online Prediction n1-standard Instance Core running in {geo}",
        "hour",
        0.036353,
    ),
    "vx_batch_t4": ("vertex", "Vertex AI: Batch Prediction on Nvidia Tesla T4 GPU running in {geo}", "hour", 0.4025),
    "vx_wb_core": ("vertex", "Vertex AI Workbench: Instance Core running in {geo}", "hour", 0.0379),
    "vx_wb_gpu": ("vertex", "Vertex AI Workbench: Nvidia Tesla T4 GPU running in {geo}", "hour", 0.35),
    "vx_tune": ("vertex", "Vertex AI: Gemini 2.5 Flash Supervised Tuning", "tok", 0.000005),
    "gem_pro_in": ("vertex", "Gemini 2.5 Pro Input Text Tokens", "tok", 0.00000125),
    "gem_pro_out": ("vertex", "Gemini 2.5 Pro Output Text Tokens", "tok", 0.00001),
    "gem_flash_in": ("vertex", "Gemini 2.5 Flash Input Text Tokens", "tok", 0.0000003),
    "gem_flash_out": ("vertex", "Gemini 2.5 Flash Output Text Tokens", "tok", 0.0000025),
    "gke_mgmt": ("gke", "Regional Kubernetes Clusters", "hour", 0.1),
    "gke_ap_cpu": ("gke", "Autopilot Pod mCPU Requests ({region})", "hour", 0.0445),
    "gke_ap_mem": ("gke", "Autopilot Pod Memory Requests ({region})", "gibh", 0.0049225),
    "gcs_std": ("gcs", "Standard Storage {mr} Regional", "gibm", 0.020),
    "gcs_multi": ("gcs", "Standard Storage {mr} Multi-region", "gibm", 0.026),
    "gcs_nearline": ("gcs", "Nearline Storage {mr} Regional", "gibm", 0.010),
    "gcs_ops": ("gcs", "Standard Storage Class A Operations", "ops", 0.05),
    "bq_analysis": ("bq", "Analysis", "tib", 6.25),
    "bq_storage": ("bq", "Active Logical Storage", "gibm", 0.02),
    "df_vcpu": ("dataflow", "vCPU Time Batch {city}", "hour", 0.056),
    "df_ram": ("dataflow", "RAM Time Batch {city}", "gibh", 0.003557),
    "net_egress": ("net", "Network Internet Data Transfer Out from {geo} to {geo}", "gib", 0.12),
    "net_interzone": ("net", "Network Inter Zone Data Transfer Out", "gib", 0.01),
    "net_lb": ("net", "Cloud Load Balancer Forwarding Rule Minimum Service Charge in {geo}", "hour", 0.025),
    "log_storage": ("logging", "Log Storage cost", "gib", 0.5),
    "mon_metrics": ("monitoring", "Metric Volume", "gib", 0.2582),
}

# resource kinds: list of (sku key, quantity per hour, sku weight)
KINDS: dict[str, list[tuple[str, float, float]]] = {
    "a3_vm": [("gpu_h100", 8, 1.0), ("a3_core", 208, 1.0), ("a3_ram", 1872, 1.0), ("pd_ssd", 2048, 0.6)],
    "a2_vm": [("gpu_a100", 8, 1.0), ("a2_core", 96, 1.0), ("a2_ram", 680, 1.0), ("pd", 500, 0.6)],
    "a2_vm1": [("gpu_a100", 1, 1.0), ("a2_core", 12, 1.0), ("a2_ram", 85, 1.0), ("pd", 200, 0.6)],
    "g2_vm": [("gpu_l4", 1, 1.0), ("g2_core", 8, 1.0), ("g2_ram", 32, 1.0), ("pd", 100, 0.6)],
    "n1_vm": [("n1_core", 8, 1.0), ("n1_ram", 30, 1.0), ("pd", 100, 0.6)],
    "e2_vm": [("e2_core", 4, 1.0), ("e2_ram", 16, 1.0), ("pd", 50, 0.5)],
    "vx_train_h100": [("vx_train_h100", 8, 1.0), ("vx_train_core", 208, 0.8)],
    "vx_train_a100": [("vx_train_a100", 4, 1.0), ("vx_train_core", 48, 0.8)],
    "vx_endpoint_l4": [("vx_pred_l4", 2, 1.0), ("vx_pred_core", 16, 1.0)],
    "vx_endpoint_a100": [("vx_pred_a100", 2, 1.0), ("vx_pred_core", 24, 1.0)],
    "vx_batch": [("vx_batch_t4", 4, 1.0)],
    "workbench": [("vx_wb_core", 8, 1.0), ("vx_wb_gpu", 1, 0.5)],
    "vx_tuning": [("vx_tune", 3.0e7, 1.0)],
    "gemini_api": [
        ("gem_pro_in", 1.5e7, 1.0),
        ("gem_pro_out", 2.0e6, 1.0),
        ("gem_flash_in", 8.0e7, 1.0),
        ("gem_flash_out", 1.0e7, 1.0),
    ],
    "gcs_bucket": [("gcs_std", 150_000, 1.0), ("gcs_ops", 80_000, 0.6)],
    "gcs_multi": [("gcs_multi", 40_000, 1.0), ("gcs_ops", 20_000, 0.4)],
    "gcs_archive": [("gcs_nearline", 400_000, 1.0)],
    "bq_dataset": [("bq_analysis", 0.6, 1.0), ("bq_storage", 20_000, 0.8)],
    "dataflow_job": [("df_vcpu", 64, 1.0), ("df_ram", 240, 1.0)],
    "gke_node_l4": [("gpu_l4", 4, 1.0), ("g2_core", 48, 1.0), ("g2_ram", 192, 1.0)],
    "gke_node_a100": [("gpu_a100", 8, 1.0), ("a2_core", 96, 1.0), ("a2_ram", 680, 1.0)],
    "gke_autopilot": [("gke_ap_cpu", 24, 1.0), ("gke_ap_mem", 96, 1.0)],
    "gke_cluster": [("gke_mgmt", 1, 1.0)],
    "lb": [("net_lb", 1, 1.0), ("net_egress", 40, 1.0)],
    "egress": [("net_egress", 120, 1.0), ("net_interzone", 300, 0.7)],
    "logging": [("log_storage", 3, 1.0)],
    "monitoring": [("mon_metrics", 1.5, 1.0)],
}

# resource kind -> (machine type, cores, memory in MiB), as the compute system labels give them
MACHINE_SPECS = {
    "a3_vm": ("a3-highgpu-8g", "208", "1916928"),
    "a2_vm": ("a2-highgpu-8g", "96", "696320"),
    "a2_vm1": ("a2-highgpu-1g", "12", "87040"),
    "g2_vm": ("g2-standard-8", "8", "32768"),
    "n1_vm": ("n1-standard-8", "8", "30720"),
    "e2_vm": ("e2-standard-4", "4", "16384"),
    "gke_node_l4": ("g2-standard-48", "48", "196608"),
    "gke_node_a100": ("a2-highgpu-8g", "96", "696320"),
}
