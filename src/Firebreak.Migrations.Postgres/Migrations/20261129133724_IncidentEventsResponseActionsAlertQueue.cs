using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Firebreak.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class IncidentEventsResponseActionsAlertQueue : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Alerts_TenantId_TriageState_Severity_LastReceivedAt",
                table: "Alerts");

            migrationBuilder.AddColumn<string>(
                name: "Annotation",
                table: "TimelineEntries",
                type: "character varying(20000)",
                maxLength: 20000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Assets",
                table: "TimelineEntries",
                type: "text",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "Author",
                table: "TimelineEntries",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "FalseLead",
                table: "TimelineEntries",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<long>(
                name: "IncidentEventId",
                table: "TimelineEntries",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Indicators",
                table: "TimelineEntries",
                type: "text",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<bool>(
                name: "KeyEvent",
                table: "TimelineEntries",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "Principals",
                table: "TimelineEntries",
                type: "text",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "Raw",
                table: "TimelineEntries",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Tactic",
                table: "TimelineEntries",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "Version",
                table: "TimelineEntries",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.CreateTable(
                name: "EventImports",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    TenantId = table.Column<Guid>(type: "uuid", nullable: false),
                    IncidentId = table.Column<Guid>(type: "uuid", nullable: false),
                    Kind = table.Column<int>(type: "integer", nullable: false),
                    Source = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    StagedFile = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    EventsRead = table.Column<long>(type: "bigint", nullable: false),
                    EventsStored = table.Column<long>(type: "bigint", nullable: false),
                    Duplicates = table.Column<long>(type: "bigint", nullable: false),
                    BytesRead = table.Column<long>(type: "bigint", nullable: false),
                    Problems = table.Column<long>(type: "bigint", nullable: false),
                    FilesDone = table.Column<int>(type: "integer", nullable: false),
                    Checkpoint = table.Column<string>(type: "text", nullable: false),
                    Error = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    CreatedBy = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    StartedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    FinishedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    Runs = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EventImports", x => x.Id);
                    table.ForeignKey(
                        name: "FK_EventImports_Incidents_IncidentId",
                        column: x => x.IncidentId,
                        principalTable: "Incidents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "IncidentEvents",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    TenantId = table.Column<Guid>(type: "uuid", nullable: false),
                    IncidentId = table.Column<Guid>(type: "uuid", nullable: false),
                    EventId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Time = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    IngestedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ImportId = table.Column<Guid>(type: "uuid", nullable: true),
                    Provider = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    LogSource = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Account = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    Region = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    EventSource = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    Operation = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    PrincipalType = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    Principal = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: true),
                    AccessKeyId = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    SessionIssuer = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: true),
                    SourceIp = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    UserAgent = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: true),
                    Resource = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: true),
                    Resources = table.Column<string>(type: "text", nullable: true),
                    Result = table.Column<int>(type: "integer", nullable: false),
                    ErrorCode = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    Origin = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: true),
                    Raw = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_IncidentEvents", x => x.Id);
                    table.ForeignKey(
                        name: "FK_IncidentEvents_Incidents_IncidentId",
                        column: x => x.IncidentId,
                        principalTable: "Incidents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "ResponseActions",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    TenantId = table.Column<Guid>(type: "uuid", nullable: false),
                    IncidentId = table.Column<Guid>(type: "uuid", nullable: false),
                    ActionName = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Provider = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Account = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Region = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Resource = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    Inputs = table.Column<string>(type: "text", nullable: false),
                    Impact = table.Column<int>(type: "integer", nullable: false),
                    Criticality = table.Column<int>(type: "integer", nullable: false),
                    Choice = table.Column<int>(type: "integer", nullable: false),
                    ChoiceReason = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    BusinessImpact = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    Reason = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    RequiresApproval = table.Column<bool>(type: "boolean", nullable: false),
                    Plan = table.Column<string>(type: "text", nullable: false),
                    Warnings = table.Column<List<string>>(type: "text[]", nullable: false),
                    Status = table.Column<int>(type: "integer", nullable: false),
                    RequestedBy = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    RequestedByPrincipal = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    RequestedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ApprovedBy = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    ApprovedByPrincipal = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    ApprovedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    ApprovalComment = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    RanBy = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    StartedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    CompletedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    Results = table.Column<string>(type: "text", nullable: true),
                    Verification = table.Column<string>(type: "text", nullable: true),
                    Verified = table.Column<bool>(type: "boolean", nullable: true),
                    UndoData = table.Column<string>(type: "text", nullable: false),
                    Output = table.Column<string>(type: "text", nullable: false),
                    UndoneBy = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    UndoneAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    UndoReason = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    UndoResults = table.Column<string>(type: "text", nullable: true),
                    Version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ResponseActions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ResponseActions_Incidents_IncidentId",
                        column: x => x.IncidentId,
                        principalTable: "Incidents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_TimelineEntries_IncidentId_IncidentEventId",
                table: "TimelineEntries",
                columns: new[] { "IncidentId", "IncidentEventId" });

            migrationBuilder.CreateIndex(
                name: "IX_Alerts_Queue",
                table: "Alerts",
                columns: new[] { "TenantId", "TriageState", "SuppressedByRuleId", "LastReceivedAt", "Id", "Severity" });

            migrationBuilder.CreateIndex(
                name: "IX_EventImports_IncidentId_CreatedAt",
                table: "EventImports",
                columns: new[] { "IncidentId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_EventImports_Status",
                table: "EventImports",
                column: "Status");

            migrationBuilder.CreateIndex(
                name: "IX_IncidentEvents_IncidentId_AccessKeyId_Time_Id",
                table: "IncidentEvents",
                columns: new[] { "IncidentId", "AccessKeyId", "Time", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_IncidentEvents_IncidentId_EventId",
                table: "IncidentEvents",
                columns: new[] { "IncidentId", "EventId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_IncidentEvents_IncidentId_Operation_Time_Id",
                table: "IncidentEvents",
                columns: new[] { "IncidentId", "Operation", "Time", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_IncidentEvents_IncidentId_Principal_Time_Id",
                table: "IncidentEvents",
                columns: new[] { "IncidentId", "Principal", "Time", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_IncidentEvents_IncidentId_Resource_Time_Id",
                table: "IncidentEvents",
                columns: new[] { "IncidentId", "Resource", "Time", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_IncidentEvents_IncidentId_SourceIp_Time_Id",
                table: "IncidentEvents",
                columns: new[] { "IncidentId", "SourceIp", "Time", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_IncidentEvents_IncidentId_Time_Id",
                table: "IncidentEvents",
                columns: new[] { "IncidentId", "Time", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_ResponseActions_IncidentId_RequestedAt",
                table: "ResponseActions",
                columns: new[] { "IncidentId", "RequestedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "EventImports");

            migrationBuilder.DropTable(
                name: "IncidentEvents");

            migrationBuilder.DropTable(
                name: "ResponseActions");

            migrationBuilder.DropIndex(
                name: "IX_TimelineEntries_IncidentId_IncidentEventId",
                table: "TimelineEntries");

            migrationBuilder.DropIndex(
                name: "IX_Alerts_Queue",
                table: "Alerts");

            migrationBuilder.DropColumn(
                name: "Annotation",
                table: "TimelineEntries");

            migrationBuilder.DropColumn(
                name: "Assets",
                table: "TimelineEntries");

            migrationBuilder.DropColumn(
                name: "Author",
                table: "TimelineEntries");

            migrationBuilder.DropColumn(
                name: "FalseLead",
                table: "TimelineEntries");

            migrationBuilder.DropColumn(
                name: "IncidentEventId",
                table: "TimelineEntries");

            migrationBuilder.DropColumn(
                name: "Indicators",
                table: "TimelineEntries");

            migrationBuilder.DropColumn(
                name: "KeyEvent",
                table: "TimelineEntries");

            migrationBuilder.DropColumn(
                name: "Principals",
                table: "TimelineEntries");

            migrationBuilder.DropColumn(
                name: "Raw",
                table: "TimelineEntries");

            migrationBuilder.DropColumn(
                name: "Tactic",
                table: "TimelineEntries");

            migrationBuilder.DropColumn(
                name: "Version",
                table: "TimelineEntries");

            migrationBuilder.CreateIndex(
                name: "IX_Alerts_TenantId_TriageState_Severity_LastReceivedAt",
                table: "Alerts",
                columns: new[] { "TenantId", "TriageState", "Severity", "LastReceivedAt" });
        }
    }
}
